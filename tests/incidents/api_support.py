"""Helpers shared by the incident API tests."""

from __future__ import annotations

from incidents import services
from incidents.choices import HoldReason, State
from incidents.models import Incident
from notifications.models import Notification
from tests.incidents.factories import make_incident

API = "/api/v1/incidents/"


def detail_url(incident_or_number) -> str:
    number = getattr(incident_or_number, "number", incident_or_number)
    return f"{API}{number}/"


def outbox(incident: Incident) -> list[tuple[str, str]]:
    """(template, address) of the incident's notifications, oldest first."""
    return list(
        Notification.objects.filter(context__number=incident.number)
        .order_by("id")
        .values_list("template", "address")
    )


def incident_in_state(state: str, *, caller, agent, group=None) -> Incident:
    """An incident brought to ``state`` through the services (as the UI or API would)."""
    incident = make_incident(caller, assignment_group=group)
    if state == State.NEW:
        return incident
    if state == State.IN_PROGRESS:
        return services.transition_incident(incident, by=agent, state=State.IN_PROGRESS)
    if state == State.ON_HOLD:
        return services.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_VENDOR)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Replaced the toner"
    )
    if state == State.RESOLVED:
        return incident
    if state == State.CLOSED:
        return services.close_incident(incident, by=agent)
    raise ValueError(state)


def cancelled_incident(*, caller, agent) -> Incident:
    return services.cancel_incident(make_incident(caller), by=agent, reason="Duplicate of another ticket")


def make_in_state(state: str, *, caller, agent, group=None) -> Incident:
    if state == State.CANCELLED:
        return cancelled_incident(caller=caller, agent=agent)
    return incident_in_state(state, caller=caller, agent=agent, group=group)
