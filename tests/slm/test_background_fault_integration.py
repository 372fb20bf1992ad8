"""Fault test with a real Celery worker, embedded beat, Redis and PostgreSQL.

The worker starts with ``-B`` and no runtime folder: beat runs all the same (the folder is created,
the periodic tasks record heartbeats). A calendar with overlapping spans saved through the admin
form is refused. A timer made unreadable by hand (its calendar broken in the database) does not
stop the sweep from breaching the other due timers: it is set aside and recorded.
"""

import os
import shutil
from datetime import time
from pathlib import Path

import pytest
from django.utils import timezone

from core.models import SweepFailure, TaskHeartbeat
from incidents.models import IncidentTimelineEntry
from slm.models import BusinessCalendar, CalendarHours, SlaTimer
from tests.incidents.factories import make_incident
from tests.services import ROOT, celery_worker, flush_redis, redis_url, require_postgres_and_redis, wait_for
from tests.slm.conftest import make_policy, office_hours
from tests.slm.test_celery_sweep_integration import backdate

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ENV = {
    "SLA_SWEEP_SECONDS": "1",
    "NOTIFY_SWEEP_SECONDS": "2",
    "SLA_ETA_TASKS": "false",  # the sweep alone, not an exact-time check, must do the work
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


@pytest.fixture
def timers(always, desk, end_user, agent, service_desk_group):
    """Two due timers on a healthy 24×7 calendar and one, due as well, on a broken calendar."""
    broken = office_hours("Broken hours")
    make_policy("P1 on broken hours", broken, {("resolution", None): 60}, order=1, priorities=[1])
    make_policy("Others around the clock", always, {("resolution", None): 1}, order=2)
    bad = SlaTimer.objects.get(
        incident=make_incident(end_user, impact=1, urgency=1, assignment_group=service_desk_group),
        metric="resolution",
    )
    good = [
        backdate(
            SlaTimer.objects.get(
                incident=make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent),
                metric="resolution",
            ),
            120,
        )
        for _ in range(2)
    ]
    # By hand, past every validation: an overlapping Monday span, and the timer due first of all.
    CalendarHours.objects.bulk_create(
        [CalendarHours(calendar=broken, weekday=0, start=time(9), end=time(12))]
    )
    BusinessCalendar.objects.filter(pk=broken.pk).update(version=broken.version + 1)
    SlaTimer.objects.filter(pk=bad.pk).update(next_check_at=timezone.now() - timezone.timedelta(hours=1))
    return bad, good


def test_worker_with_beat_and_no_var_folder_breaches_around_a_broken_timer(timers, client, admin):
    require_postgres_and_redis()
    bad, good = timers
    broker = redis_url()
    flush_redis(broker)
    name = "fault1"
    var_dir = ROOT / "var" / f"test-{name}-{os.getpid()}"
    shutil.rmtree(var_dir, ignore_errors=True)
    assert not var_dir.exists()

    with celery_worker(broker_url=broker, extra_env=ENV, beat=True, name=name, make_var_dir=False) as (
        _process,
        log_path,
    ):
        # Beat runs: the sweep records its heartbeat, and so does the outbox sweep.
        wait_for(
            lambda: TaskHeartbeat.objects.filter(
                name="slm.tasks.sweep_timers", last_ok_at__isnull=False
            ).exists(),
            timeout=90,
            message=f"a heartbeat of the SLA sweep (worker log: {log_path})",
        )
        wait_for(
            lambda: TaskHeartbeat.objects.filter(
                name="notifications.tasks.deliver_due_notifications", last_ok_at__isnull=False
            ).exists(),
            timeout=60,
            message=f"a heartbeat of the outbox sweep (worker log: {log_path})",
        )
        # The other due timers are breached although the broken one heads every batch.
        wait_for(
            lambda: SlaTimer.objects.filter(pk__in=[t.pk for t in good], state="breached").count() == 2,
            timeout=60,
            message=f"the breaches of the healthy timers (worker log: {log_path})",
        )
        wait_for(
            lambda: SweepFailure.objects.filter(sweep="slm.sweep_timers", object_id=bad.pk).exists(),
            timeout=30,
            message="the broken timer recorded",
        )

        # Meanwhile an administrator cannot save such a calendar through the admin form.
        client.force_login(admin)
        response = client.post(
            "/admin/slm/businesscalendar/add/",
            {
                "name": "Overlapping hours",
                "time_zone": "Europe/Stockholm",
                "is_active": "on",
                "hours-TOTAL_FORMS": "2",
                "hours-INITIAL_FORMS": "0",
                "hours-0-weekday": "1",
                "hours-0-start": "08:00",
                "hours-0-end": "17:00",
                "hours-1-weekday": "1",
                "hours-1-start": "16:00",
                "hours-1-end": "20:00",
                "holidays-TOTAL_FORMS": "0",
                "holidays-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        assert "Opening hours on Tuesday overlap: 08:00–17:00 and 16:00–20:00." in response.content.decode()
        assert not BusinessCalendar.objects.filter(name="Overlapping hours").exists()

    assert Path(var_dir).is_dir()  # created at start-up
    assert "beat: Starting" in log_path.read_text()
    for timer in good:
        assert (
            IncidentTimelineEntry.objects.filter(
                kind="sla", data__timer=timer.pk, data__event="breach"
            ).count()
            == 1
        )
    bad.refresh_from_db()
    assert bad.state == "running" and bad.breached_at is None
    assert bad.next_check_at > timezone.now()  # set aside, not first in every batch
    failure = SweepFailure.objects.get(sweep="slm.sweep_timers", object_id=bad.pk)
    assert "overlap" in failure.error
    assert f"SlaTimer {bad.pk} failed" in log_path.read_text()
