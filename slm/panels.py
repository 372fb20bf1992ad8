"""Panels on other apps' pages: the timers on the agent's incident page, the expected resolution
time on the caller's portal page (see core.panels)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from core.panels import register_panel
from core.roles import is_agent
from slm import services
from slm.choices import AgreementKind, Metric, TimerState


def _user_zone(request) -> ZoneInfo:
    name = getattr(getattr(request, "user", None), "time_zone", "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - a bad stored zone must not break the page
        return ZoneInfo(settings.TIME_ZONE)


def timers_context(request, incident) -> dict | None:
    if incident is None or not is_agent(request.user):
        return None
    timers = services.current_timers(incident.sla_timers.for_display())
    if not timers:
        return {"views": [], "zone": _user_zone(request)}
    now = timezone.now()
    return {"views": [services.view(t, now) for t in timers], "zone": _user_zone(request), "now": now}


def portal_context(request, incident) -> dict | None:
    """The caller's promise: when we aim to resolve the ticket, in the caller's time zone."""
    if incident is None or not incident.is_open:
        return None
    timer = (
        incident.sla_timers.for_display()
        .filter(kind=AgreementKind.SLA, metric=Metric.RESOLUTION, stopped_at__isnull=True)
        .exclude(state=TimerState.CANCELLED)
        .first()
    )
    if timer is None:
        return None
    view = services.view(timer)
    zone = _user_zone(request)
    due = view.figures.due_at
    return {
        "timer": timer,
        "paused": timer.is_paused,
        "late": view.figures.breached,
        "due_local": due.astimezone(zone) if due else None,
        "zone": zone,
    }


def register() -> None:
    register_panel(
        "incident-agent-side",
        "sla-timers",
        template="agent/slm/_incident_timers.html",
        context=timers_context,
        order=10,
    )
    register_panel(
        "incident-portal",
        "sla-expected-resolution",
        template="portal/slm/_expected_resolution.html",
        context=portal_context,
        order=10,
    )
