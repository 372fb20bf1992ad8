"""Editing a calendar or a policy replays running timers from their segments (pauses are kept);
``rebuild_timers`` builds timers from an incident's history; breach reasons; public holidays."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from incidents import services as incidents
from incidents.choices import HoldReason
from incidents.models import IncidentTimelineEntry
from slm import services
from slm.choices import TimerState
from slm.hooks import calendar_saved
from slm.models import BusinessCalendar, Holiday, SlaTarget, SlaTimer
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def resolution(incident):
    return SlaTimer.objects.get(incident=incident, metric="resolution", kind="sla")


def paused_monday(clock, end_user, agent):
    """Created Mon 09:00, on hold 10:00-12:00, running again: due Tue 10:00 local."""
    incident = make_incident(end_user)
    clock.advance(hours=1)
    incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="?")
    clock.advance(hours=2)
    incidents.transition_incident(incident, by=agent, state="in_progress")
    assert resolution(incident).due_at == utc(2026, 3, 3, 9)
    return incident


def test_holiday_added_to_calendar_moves_due_time_and_keeps_pauses(
    clock, policy, calendar, desk, end_user, agent
):
    incident = paused_monday(clock, end_user, agent)
    version = calendar.version
    Holiday.objects.create(calendar=calendar, date=date(2026, 3, 3), name="Company day")
    calendar.refresh_from_db()
    assert calendar.version == version + 1
    assert services.recompute_timers(calendar=calendar) >= 1
    timer = resolution(incident)
    assert timer.due_at == utc(2026, 3, 4, 9)  # Tuesday closed: Wednesday 10:00 local
    assert timer.segments.filter(kind="paused").count() == 1
    assert timer.elapsed_seconds == 3600  # 09:00-10:00 local; it is 12:00 local now


def test_policy_target_edit_retargets_running_timers(clock, policy, desk, end_user, agent):
    incident = paused_monday(clock, end_user, agent)
    SlaTarget.objects.filter(policy=policy, metric="resolution", priority=None).update(target_minutes=4 * 60)
    services.recompute_timers(policy=policy)
    timer = resolution(incident)
    assert timer.target_seconds == 4 * 3600
    assert timer.due_at == utc(2026, 3, 2, 14)  # 1 h before the pause + 3 h after 12:00 local
    assert incident.timeline.filter(kind="sla", data__event="retargeted").exists()


def test_edit_hook_schedules_one_recompute_per_transaction(
    clock, policy, calendar, desk, end_user, agent, django_capture_on_commit_callbacks, monkeypatch
):
    paused_monday(clock, end_user, agent)
    ran = []
    monkeypatch.setattr("slm.tasks.recompute_timers_task.delay", lambda **kw: ran.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        for weekday in (0, 1, 2):
            calendar.hours.filter(weekday=weekday).update(start="07:00")
            calendar_saved(BusinessCalendar, calendar.hours.filter(weekday=weekday).first())
    assert ran == [{"calendar_id": calendar.pk, "policy_id": None}]


def test_rebuild_timers_from_history(clock, policy, desk, end_user, agent):
    incident = paused_monday(clock, end_user, agent)
    expected = {
        (t.metric, t.cycle): (t.state, t.due_at, t.elapsed_seconds) for t in incident.sla_timers.all()
    }
    services.rebuild_timers(incident)
    rebuilt = {(t.metric, t.cycle): (t.state, t.due_at, t.elapsed_seconds) for t in incident.sla_timers.all()}
    assert rebuilt == expected
    assert resolution(incident).segments.filter(kind="paused").count() == 1


def test_rebuild_marks_past_breaches_without_notifying(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    SlaTimer.objects.filter(incident=incident).delete()  # as if the engine had not been running
    clock.set(utc(2026, 3, 4, 8))
    call_command("rebuild_sla_timers", incident.number, verbosity=0)
    timer = resolution(incident)
    assert timer.state == TimerState.BREACHED and timer.breached_at == utc(2026, 3, 2, 16)
    assert not incident.timeline.filter(kind="sla", data__event="breach").exists()
    assert services.sweep_timers()["breaches"] == 0


def test_breach_reason_is_recorded_on_breached_timers_only(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    with pytest.raises(ValidationError):
        services.set_breach_reason(resolution(incident), by=agent, reason="Vendor late")
    clock.set(utc(2026, 3, 3, 8))
    services.sweep_timers()
    with pytest.raises(ValidationError) as info:
        services.set_breach_reason(resolution(incident), by=agent, reason="  ")
    assert "reason" in info.value.message_dict
    services.set_breach_reason(resolution(incident), by=agent, reason="Vendor delivered the part late.")
    assert resolution(incident).breach_reason == "Vendor delivered the part late."
    entry = IncidentTimelineEntry.objects.filter(ticket=incident, data__event="breach_reason").get()
    assert entry.author == agent


def test_load_swedish_public_holidays(calendar):
    added = services.load_public_holidays(calendar, country="SE", year=2026)
    assert added >= 10
    assert calendar.holidays.filter(date=date(2026, 4, 3)).exists()  # Good Friday
    assert services.load_public_holidays(calendar, country="SE", year=2026) == 0  # idempotent
    with pytest.raises(ValidationError) as info:
        services.load_public_holidays(calendar, country="XX", year=2026)
    assert "country" in info.value.message_dict
