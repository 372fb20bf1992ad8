# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    ITSM_VAR_DIR=/var/lib/itsm STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/var/lib/itsm/media

RUN useradd --create-home --uid 10001 itsm \
 && mkdir -p /var/lib/itsm/media && chown -R itsm /var/lib/itsm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY itsm ./itsm
COPY core ./core
COPY notifications ./notifications
COPY incidents ./incidents
COPY problems ./problems
COPY changes ./changes
COPY slm ./slm
COPY knowledge ./knowledge
RUN pip install --upgrade pip && pip install .
COPY . .
RUN DEBUG=true SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && chown -R itsm /app
USER itsm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["gunicorn", "itsm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
