"""A real Celery worker and beat against Redis and PostgreSQL: a timer reaches its warning and its
breach, and exactly one notification per recipient is written for each; also when two workers
(each with its own beat, so every sweep runs twice) race, and when they are restarted."""

from datetime import timedelta

import pytest
from django.db import transaction

from incidents.models import IncidentTimelineEntry
from notifications.models import Notification
from slm import services
from slm.models import SlaTimer, TimerSegment
from tests.incidents.factories import make_incident
from tests.services import celery_worker, flush_redis, redis_url, require_postgres_and_redis, wait_for
from tests.slm.conftest import make_policy

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ENV = {
    "SLA_SWEEP_SECONDS": "1",
    "NOTIFY_SWEEP_SECONDS": "2",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


def backdate(timer: SlaTimer, seconds: int) -> SlaTimer:
    """As if the timer had started ``seconds`` earlier (test time travel, in one transaction)."""
    with transaction.atomic():
        timer = SlaTimer.objects.select_for_update().get(pk=timer.pk)
        shift = timedelta(seconds=seconds)
        TimerSegment.objects.filter(timer=timer).update(start=timer.started_at - shift)
        SlaTimer.objects.filter(pk=timer.pk).update(started_at=timer.started_at - shift)
        timer = SlaTimer.objects.for_display().get(pk=timer.pk)
        services.refresh(timer, services.timezone.now())
        services._save(timer, services.timezone.now())
    return timer


def sla_rows(timer, template):
    return list(
        Notification.objects.filter(template=template, dedupe_key__startswith=f"sla:{timer.pk}:").values_list(
            "address", flat=True
        )
    )


def sla_entries(timer, event):
    return IncidentTimelineEntry.objects.filter(kind="sla", data__timer=timer.pk, data__event=event).count()


@pytest.fixture
def due_timer(always, desk, end_user, agent, service_desk_group, incident_manager):
    make_policy("One minute", always, {("resolution", None): 1}, order=1)
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    timer = SlaTimer.objects.get(incident=incident, metric="resolution")
    # 60 s target, warning at 45 s: started 35 s ago -> warning in ~10 s, breach in ~25 s.
    return backdate(timer, 35)


def wait_warning_then_breach(timer, log_path):
    wait_for(lambda: SlaTimer.objects.filter(pk=timer.pk, warned_at__isnull=False).exists(), timeout=60,
             message=f"the warning (worker log: {log_path})")  # fmt: skip
    wait_for(lambda: SlaTimer.objects.filter(pk=timer.pk, state="breached").exists(), timeout=60,
             message=f"the breach (worker log: {log_path})")  # fmt: skip


def assert_exactly_once(timer):
    assert sla_rows(timer, "sla_warning") == ["agent@example.com"]
    assert sorted(sla_rows(timer, "sla_breach")) == ["agent@example.com", "incident_manager@example.com"]
    assert sla_entries(timer, "warning") == 1
    assert sla_entries(timer, "breach") == 1


def test_worker_and_beat_record_warning_and_breach_once(due_timer):
    require_postgres_and_redis()
    broker = redis_url()
    flush_redis(broker)
    with celery_worker(broker_url=broker, extra_env=ENV, beat=True, name="slm1") as (_process, log_path):
        wait_warning_then_breach(due_timer, log_path)
        wait_for(lambda: len(sla_rows(due_timer, "sla_breach")) == 2, timeout=30, message="breach rows")
        # Let further sweeps (and the ETA checks) run over the same timer.
        wait_for(lambda: _sweeps(log_path) >= 3, timeout=30, message="more sweeps")
    timer = SlaTimer.objects.get(pk=due_timer.pk)
    assert timer.breached_at == timer.due_at
    assert timer.warned_at == timer.warning_at
    assert_exactly_once(timer)
    # The outbox delivered them (locmem backend in the worker): sent, and only once each.
    wait_for(lambda: Notification.objects.filter(template__startswith="sla_", status="sent").count() == 3,
             timeout=30, message="delivery")  # fmt: skip


def _sweeps(log_path) -> int:
    return log_path.read_text().count("Task slm.tasks.sweep_timers[")


def test_two_workers_with_two_beats_twice_still_notify_once(due_timer):
    require_postgres_and_redis()
    broker = redis_url()
    for run in range(2):
        flush_redis(broker)
        with (
            celery_worker(broker_url=broker, extra_env=ENV, beat=True, name=f"slmA{run}") as (_a, log_a),
            celery_worker(broker_url=broker, extra_env=ENV, beat=True, name=f"slmB{run}") as (_b, log_b),
        ):
            if run == 0:
                wait_warning_then_breach(due_timer, f"{log_a}, {log_b}")
            wait_for(lambda a=log_a, b=log_b: _sweeps(a) + _sweeps(b) >= 6, timeout=60,
                     message=f"duplicate sweeps ({log_a}, {log_b})")  # fmt: skip
        if run == 0:
            # Force the timer due again, as if a sweep had crashed after reading it: the next
            # sweeps replay it but the outbox keys keep every notification single.
            SlaTimer.objects.filter(pk=due_timer.pk).update(
                state="running", breached_at=None, warned_at=None, next_check_at=services.timezone.now()
            )
    timer = SlaTimer.objects.get(pk=due_timer.pk)
    assert timer.state == "breached"
    assert sla_rows(timer, "sla_warning") == ["agent@example.com"]
    assert sorted(sla_rows(timer, "sla_breach")) == ["agent@example.com", "incident_manager@example.com"]
