# The two commands of the README: `make run` and `make test`. Both need only Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv lint format migrations-check messages demo ci clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

## Set up, migrate, seed demo data and serve on http://127.0.0.1:8000 with a Celery worker and beat.
run: $(STAMP)
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(PY) manage.py rundev $${ADDRPORT:-127.0.0.1:8000}

## The whole test suite (SQLite unless DATABASE_URL is set; Redis/worker tests need REDIS_URL).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrations-check: $(STAMP)
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

## Recompile the gettext catalogues (needs GNU gettext's msgfmt; compiled files are committed).
messages:
	for po in $$(find . -path ./$(VENV) -prune -o -name django.po -print); do msgfmt --check -o $${po%.po}.mo $$po; done

demo: $(STAMP)
	DEBUG=true $(PY) manage.py seed_demo

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles .pytest_cache .ruff_cache
