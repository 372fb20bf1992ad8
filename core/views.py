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
from core.forms import RateLimitedAuthenticationForm
from core.panels import render_panels

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = RateLimitedAuthenticationForm
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


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    from itsm.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database and the Celery broker are reachable."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(value is None for value in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": {k: v or "ok" for k, v in checks.items()}}
    if not ok:
        log.warning("readiness check failed", extra={"checks": str(checks)})
    return JsonResponse(body, status=200 if ok else 503)
