"""Sign-in, the agent and portal home pages, the language switcher and health checks."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.choices import Language
from core.decorators import agent_required
from core.panels import render_panels

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Sign-in; failed attempts are throttled by django-axes (see ``core.signin``)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Agents land in the agent area, everyone else in the self-service portal."""
    if request.user.is_agent:
        return redirect("agent-home")
    return redirect("portal-home")


@agent_required
def agent_home(request: HttpRequest) -> HttpResponse:
    """The agent's own work first; a manager also sees the desks' queues, breaches and
    satisfaction. Other apps' panels (major incidents, knowledge, problems) follow."""
    from core import home, roles

    user = request.user
    now = timezone.now()
    manager, desk_ids = home.managed_desks(user)
    return render(
        request,
        "agent/home.html",
        {
            "groups": user.support_groups.select_related("desk"),
            "work": home.agent_work(user, now),
            "overview": home.desk_overview(user, now, desk_ids) if manager else None,
            "can_report": roles.has_role(user, roles.SERVICE_LEVEL_MANAGER),
            "panels": render_panels("agent-home", request),
        },
    )


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"panels": render_panels("portal-home", request)})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; remembered in a cookie and, when signed in, on the user."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language not in Language.values:
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # The driver's text names the database host and port: it goes to the log, not the caller.
        log.exception("readiness: database unreachable")
        return False
    return True


def _check_broker() -> bool:
    from itsm.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        log.exception("readiness: broker unreachable")
        return False
    return True


def _stale_sweeps() -> list[str] | None:
    """Names of periodic tasks that have not succeeded for three of their periods (None: unknown)."""
    from core import heartbeats

    try:
        stale = heartbeats.stale()
    except Exception:
        log.exception("readiness: heartbeats unreadable")
        return None
    for beat in stale:
        log.warning(
            "readiness: periodic task %s has not succeeded for %s periods",
            beat.name,
            heartbeats.STALE_PERIODS,
            extra={"task": beat.name, "last_ok_at": str(beat.last_ok_at), "last_error": beat.last_error},
        )
    return [beat.name for beat in stale]


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database and the Celery broker are reachable and the periodic sweeps run.

    Anonymous callers learn only which check failed (and which sweeps are late); the details are
    logged.
    """
    database = _check_database()
    stale = _stale_sweeps() if database else None
    checks = {
        "database": "ok" if database else "unavailable",
        "broker": "ok" if _check_broker() else "unavailable",
        "beat": "unknown" if stale is None else ("late" if stale else "ok"),
    }
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    if stale:
        body["late_tasks"] = stale
    if not ok:
        log.warning("readiness check failed", extra={"checks": str(checks)})
    return JsonResponse(body, status=200 if ok else 503)


def _database_unavailable(exc: BaseException | None) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that cannot be reached is a 503 (JSON for the API, a plain page
    otherwise) that asks to try again; anything else is Django's usual 500.

    Django calls this for an exception from any view or middleware (it sees ``sys.exc_info()``),
    so a request that first touches the database in a middleware (the session) is covered too.
    The page is rendered without the request context: the layouts' context processors would
    query the database again.
    """
    import sys

    from django.template.loader import render_to_string
    from django.views import defaults

    exc = sys.exc_info()[1]
    if not _database_unavailable(exc):
        return defaults.server_error(request)
    log.error("database unavailable", extra={"path": request.path, "error": f"{type(exc).__name__}"})
    headers = {"Retry-After": "30"}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("The service is temporarily unavailable. Please try again in a moment.")},
            status=503,
            headers=headers,
        )
    return HttpResponse(render_to_string("503.html"), status=503, headers=headers)
