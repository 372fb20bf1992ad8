"""One bad calendar must not stop every SLA: the sweep sets the timer it cannot check aside (logged,
recorded as a sweep failure, next check moved past a back-off) and breaches every other due timer
in the same batch; once the calendar is repaired the timer is checked again."""

from datetime import UTC, datetime, time, timedelta

import pytest

from core.models import SweepFailure
from incidents.models import IncidentTimelineEntry
from slm import services
from slm.models import BusinessCalendar, CalendarHours, SlaTimer
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy, office_hours

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def two_calendars(clock, desk, service_desk_group):
    """A broken calendar for P1 tickets, a healthy one for the rest (one hour resolution each)."""
    broken = office_hours("Broken hours")
    healthy = office_hours("Healthy hours")
    make_policy("P1 on broken hours", broken, {("resolution", None): 60}, order=1, priorities=[1])
    make_policy("Others on healthy hours", healthy, {("resolution", None): 60}, order=2)
    return broken, healthy


def break_by_hand(calendar: BusinessCalendar) -> None:
    """What the admin used to accept: a second, overlapping span on Monday (written past the
    validation, as a data migration or a shell would)."""
    CalendarHours.objects.bulk_create(
        [CalendarHours(calendar=calendar, weekday=0, start=time(9), end=time(12))]
    )
    BusinessCalendar.objects.filter(pk=calendar.pk).update(version=calendar.version + 1)


def resolution(incident) -> SlaTimer:
    return SlaTimer.objects.get(incident=incident, metric="resolution")


def test_a_timer_on_a_broken_calendar_does_not_stop_the_breach_of_the_others(
    clock, two_calendars, end_user, agent, service_desk_group, caplog
):
    broken, _healthy = two_calendars
    # The broken timer is created first, so it heads every batch (ordered by next check).
    bad = make_incident(end_user, impact=1, urgency=1, assignment_group=service_desk_group)
    good = [make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent) for _ in range(3)]
    assert resolution(bad).calendar_id == broken.pk
    break_by_hand(broken)

    clock.advance(hours=2)  # both one-hour targets are past
    totals = services.sweep_timers(batch_size=2)  # several batches: the bad one is in the first

    assert totals["failed"] == 1
    assert totals["breaches"] == 3
    for incident in good:
        timer = resolution(incident)
        assert timer.state == "breached"
        assert (
            IncidentTimelineEntry.objects.filter(ticket=incident, kind="sla", data__event="breach").count()
            == 1
        )
    timer = resolution(bad)
    assert timer.state == "running" and timer.breached_at is None
    failure = SweepFailure.objects.get(sweep="slm.sweep_timers", object_id=timer.pk)
    assert failure.model == "slm.SlaTimer"
    assert "overlap" in failure.error
    # Set aside: its next check is past the back-off, so it no longer heads every batch.
    assert timer.next_check_at == failure.skip_until == clock.now + timedelta(seconds=300)
    assert any("set aside" in r.getMessage() or "failed" in r.getMessage() for r in caplog.records)

    # The next sweep within the back-off does not touch it again.
    assert services.sweep_timers()["checked"] == 0
    # After the back-off it is tried again, fails again, and waits twice as long.
    clock.advance(seconds=301)
    assert services.sweep_timers()["failed"] == 1
    failure.refresh_from_db()
    assert failure.attempts == 2
    assert failure.skip_until == clock.now + timedelta(seconds=600)


def test_repairing_the_calendar_breaches_the_set_aside_timer_and_forgets_the_failure(
    clock, two_calendars, end_user, service_desk_group
):
    broken, _healthy = two_calendars
    bad = make_incident(end_user, impact=1, urgency=1, assignment_group=service_desk_group)
    break_by_hand(broken)
    clock.advance(hours=2)
    services.sweep_timers()
    assert SweepFailure.objects.filter(object_id=resolution(bad).pk).exists()

    # The administrator removes the overlapping span; the edit replays the calendar's timers
    # (the recompute task that the edit schedules, run here in-process).
    CalendarHours.objects.get(calendar=broken, weekday=0, start=time(9)).delete()
    broken.refresh_from_db()
    services.recompute_timers(calendar=broken)
    services.sweep_timers()
    timer = resolution(bad)
    assert timer.state == "breached"
    assert not SweepFailure.objects.filter(object_id=timer.pk).exists()


def test_the_upgrade_merges_overlapping_spans_saved_before_the_validation(clock):
    """Calendars broken before the validation existed are repaired by a data migration (union of
    the overlapping spans of a weekday), so their incidents get timers again."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("slm.migrations.0004_merge_overlapping_opening_hours")
    calendar = office_hours("Broken hours", days=[0, 1])
    CalendarHours.objects.bulk_create(
        [
            CalendarHours(calendar=calendar, weekday=0, start=time(9), end=time(12)),  # inside 08–17
            CalendarHours(calendar=calendar, weekday=1, start=time(16), end=time(0)),  # past 17, to 24
            CalendarHours(calendar=calendar, weekday=1, start=time(8), end=time(17)),  # a duplicate
        ]
    )
    version = calendar.version
    migration.merge_overlaps(apps, None)
    spans = list(calendar.hours.order_by("weekday", "start").values_list("weekday", "start", "end"))
    assert spans == [(0, time(8), time(17)), (1, time(8), time(0))]
    calendar.refresh_from_db()
    assert calendar.version > version  # cached calendars are refreshed
    calendar.to_calendar()  # the engine accepts it again
