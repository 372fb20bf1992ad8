"""A real Celery worker with beat, on Redis and PostgreSQL, closes an overdue resolved incident."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.choices import State
from incidents.models import Incident
from notifications.models import Notification
from tests.incidents.factories import make_incident
from tests.services import celery_worker, flush_redis, redis_url, require_postgres_and_redis, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_beat_and_worker_close_an_overdue_resolved_incident(desk, end_user, agent):
    require_postgres_and_redis()
    broker = redis_url()
    flush_redis(broker)
    overdue = make_incident(end_user)
    recent = make_incident(end_user)
    for incident in (overdue, recent):
        services.resolve_incident(
            incident, by=agent, resolution_code="solution_provided", resolution_notes="ok"
        )
    Incident.objects.filter(pk=overdue.pk).update(resolved_at=timezone.now() - timedelta(days=8))

    env = {"INCIDENT_AUTO_CLOSE_SWEEP_SECONDS": "1", "INCIDENT_AUTO_CLOSE_DAYS": "7"}
    with celery_worker(broker_url=broker, extra_env=env, beat=True, name="autoclose") as (_process, log_path):
        wait_for(
            lambda: Incident.objects.filter(pk=overdue.pk, state=State.CLOSED).exists(),
            timeout=60,
            message=f"the auto-close sweep (worker log: {log_path})",
        )

    overdue.refresh_from_db()
    recent.refresh_from_db()
    assert overdue.closed_at is not None and recent.state == State.RESOLVED
    entry = overdue.timeline.filter(kind="state_change").last()
    assert entry.author.username == "system" and entry.data["state"] == ["resolved", "closed"]
    assert (
        Notification.objects.filter(template="incident_closed", context__number=overdue.number).count() == 1
    )
    assert not Notification.objects.filter(template="incident_closed", context__number=recent.number).exists()
