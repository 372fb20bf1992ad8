"""The auto-close sweep: the Celery task closes incidents resolved more than N days ago."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from incidents import services
from incidents.choices import MajorState, State
from incidents.models import Incident
from incidents.tasks import auto_close_resolved
from itsm.celery import app
from tests.incidents.api_support import outbox
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def resolved_days_ago(caller, agent, days: float) -> Incident:
    incident = make_incident(caller)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Done"
    )
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=days))
    return incident


def test_task_closes_overdue_resolved_incidents_only(desk, end_user, agent, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 5
    overdue = resolved_days_ago(end_user, agent, 6)
    recent = resolved_days_ago(end_user, agent, 4)
    major = resolved_days_ago(end_user, agent, 30)
    Incident.objects.filter(pk=major.pk).update(major_state=MajorState.RESOLVED)
    still_open = make_incident(end_user)

    assert auto_close_resolved() == 1

    states = dict(Incident.objects.values_list("pk", "state"))
    assert states == {
        overdue.pk: State.CLOSED,
        recent.pk: State.RESOLVED,
        major.pk: State.RESOLVED,
        still_open.pk: State.NEW,
    }
    overdue.refresh_from_db()
    assert overdue.closed_at is not None
    entry = overdue.timeline.filter(kind="state_change").last()
    assert entry.data["state"] == ["resolved", "closed"]
    assert entry.author.username == "system"
    assert "5 days" in entry.body
    assert outbox(overdue)[-1] == ("incident_closed", "end_user@example.com")
    # Idempotent: nothing more to do, and no second notification.
    assert auto_close_resolved() == 0
    assert outbox(overdue).count(("incident_closed", "end_user@example.com")) == 1


def test_task_works_through_every_batch(desk, end_user, agent, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 7
    incidents = [resolved_days_ago(end_user, agent, 8) for _ in range(5)]
    assert auto_close_resolved(batch=2) == 5
    assert set(Incident.objects.values_list("state", flat=True)) == {State.CLOSED}
    assert len(incidents) == 5


def test_auto_close_can_be_switched_off(desk, end_user, agent, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 0
    incident = resolved_days_ago(end_user, agent, 365)
    assert auto_close_resolved() == 0
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED


def test_beat_runs_the_task_every_15_minutes_by_default():
    entry = django_settings.CELERY_BEAT_SCHEDULE["incidents-auto-close"]
    assert entry["task"] == "incidents.tasks.auto_close_resolved"
    assert entry["schedule"] == 900.0  # INCIDENT_AUTO_CLOSE_SWEEP_SECONDS (unset in tests)
    app.loader.import_default_modules()
    assert "incidents.tasks.auto_close_resolved" in app.tasks
