"""The major-incident procedure against a real Celery worker and beat on Redis and PostgreSQL,
with time shortened by settings (seconds instead of minutes).

accept -> level 1 notified at once; nobody acknowledges -> level 2 after its wait; acknowledge ->
no level 3; no status update -> the cadence reminder; every notification exactly once, with one
worker and with two workers racing (plus duplicate step tasks).
"""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from incidents import major
from incidents.major_choices import StepState
from incidents.major_tasks import process_escalation_step
from incidents.models import EscalationStep, MajorIncident
from notifications.models import Notification, Status
from tests.incidents.factories import make_incident
from tests.incidents.major_support import make_policy
from tests.services import ROOT, celery_worker, flush_redis, redis_url, require_postgres_and_redis, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAST = {
    "MAJOR_SWEEP_SECONDS": "1",
    "NOTIFY_SWEEP_SECONDS": "1",
    "NOTIFY_RETRY_BASE_SECONDS": "1",
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
}


def step(order: int) -> EscalationStep:
    return EscalationStep.objects.get(order=order)


def sent_message_ids(names: list[str]) -> list[str]:
    ids = []
    for name in names:
        for path in (ROOT / "var").glob(f"test-{name}-*/mail/*"):
            ids += [
                line.split(":", 1)[1].strip()
                for line in Path(path).read_text().splitlines()
                if line.startswith("Message-ID:")
            ]
    return ids


@pytest.mark.parametrize("workers", [1, 2])
def test_escalation_and_cadence_with_real_workers_notify_exactly_once(
    workers, desk, end_user, agent, other_group_agent, incident_manager
):
    require_postgres_and_redis()
    broker = redis_url()
    flush_redis(broker)
    names = [f"major{workers}a", f"major{workers}b"][:workers]
    for name in names:  # mail files of an earlier run must not count
        for path in (ROOT / "var").glob(f"test-{name}-*/mail/*"):
            path.unlink()
    make_policy(
        (timedelta(seconds=3), [agent], [], ""),
        (timedelta(seconds=5), [other_group_agent], [], ""),
        (timedelta(seconds=5), [], [], "oncall@example.com"),
    )
    incident = make_incident(end_user, short_description="Payroll system down")
    major.propose_major(incident, by=agent, reason="Nobody can run payroll.")

    started = [celery_worker(broker_url=broker, extra_env=FAST, beat=True, name=names[0])]
    if workers == 2:
        started.append(celery_worker(broker_url=broker, extra_env=FAST, beat=False, name=names[1]))
    handles = [context.__enter__() for context in started]
    log = handles[0][1]
    try:
        with transaction.atomic():
            record = major.accept_major(incident, by=incident_manager, cadence=timedelta(seconds=4))
        accepted_at = record.accepted_at
        # Level 1 was notified in the accepting transaction.
        assert step(1).state == StepState.NOTIFIED
        assert list(
            Notification.objects.filter(template="major_escalation").values_list("address", flat=True)
        ) == ["agent@example.com"]
        # Duplicate step tasks (as after a redelivery) for every worker to race on.
        for _ in range(3):
            process_escalation_step.apply_async((step(2).pk,), eta=step(2).due_at)

        level2 = wait_for(
            lambda: EscalationStep.objects.filter(order=2, state=StepState.NOTIFIED).first(),
            timeout=40,
            message=f"level 2 notified (worker log: {log})",
        )
        assert level2.notified_at - accepted_at >= timedelta(seconds=3)
        assert major.acknowledge_major(incident, by=other_group_agent, via="web") is True

        wait_for(
            lambda: Notification.objects.filter(template="major_update_due").exists(),
            timeout=40,
            message=f"the cadence reminder (worker log: {log})",
        )
        # Past level 3's due time (level 2's wait after it was notified), with the sweep running.
        while timezone.now() < level2.notified_at + timedelta(seconds=7):
            time.sleep(0.5)
        for _ in range(2):
            process_escalation_step.delay(step(3).pk)
        wait_for(
            lambda: not Notification.objects.exclude(status=Status.SENT).exists(),
            timeout=40,
            message=f"every notification sent (worker log: {log})",
        )
        time.sleep(2)  # late duplicates would have arrived by now
    finally:
        for context in reversed(started):
            context.__exit__(None, None, None)

    assert step(3).state == StepState.CANCELLED
    record = MajorIncident.objects.get(pk=record.pk)
    assert record.escalation_level == 2 and record.acknowledged_by == other_group_agent
    escalations = sorted(
        Notification.objects.filter(template="major_escalation").values_list("address", flat=True)
    )
    assert escalations == ["agent@example.com", "other_group_agent@example.com"]
    assert Notification.objects.filter(template="major_update_due").count() == 1
    assert Notification.objects.filter(template="major_acknowledged").count() == 1
    rows = Notification.objects.all()
    assert {(row.status, row.attempts) for row in rows} == {(Status.SENT, 1)}
    # Each outbox row left as exactly one e-mail, from whichever worker sent it.
    message_ids = sent_message_ids(names)
    assert sorted(message_ids) == sorted(rows.values_list("message_id", flat=True))
