"""The periodic sweep: finds due timers by index, records warnings and breaches on the timeline and
writes each notification exactly once, to the right people."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import User
from incidents import services as incidents
from incidents.choices import HoldReason
from notifications.models import Notification
from slm import services
from slm.choices import TimerState
from slm.models import SlaTimer
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def sla_mail(template):
    return sorted(Notification.objects.filter(template=template).values_list("address", flat=True))


def resolution(incident):
    return SlaTimer.objects.get(incident=incident, metric="resolution")


@pytest.fixture
def duty_desk(desk, incident_manager):
    duty = User.objects.create_user("duty", email="duty@example.com")
    desk.duty_manager = duty
    desk.save(update_fields=["duty_manager"])
    return desk


def test_warning_then_breach_each_recorded_and_notified_once(
    clock, policy, duty_desk, end_user, agent, service_desk_group, incident_manager
):
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    assert services.sweep_timers()["checked"] == 0  # nothing due: nothing touched

    clock.set(utc(2026, 3, 2, 14))  # 6 of 8 business hours: the 75 % warning of resolution
    totals = services.sweep_timers()
    timer = resolution(incident)
    assert timer.warned_at == utc(2026, 3, 2, 14)
    assert timer.breached_at is None and timer.state == TimerState.RUNNING
    assert timer.next_check_at == utc(2026, 3, 2, 16)
    assert totals["warnings"] >= 1
    assert "agent@example.com" in sla_mail("sla_warning")
    warnings = incident.timeline.filter(kind="sla", data__event="warning", data__metric="resolution")
    assert warnings.count() == 1
    assert warnings.get().created_at == utc(2026, 3, 2, 14)

    assert services.sweep_timers()["checked"] == 0  # the same instant again: nothing new
    clock.set(utc(2026, 3, 2, 16, 0, 1))
    services.sweep_timers()
    timer.refresh_from_db()
    assert timer.state == TimerState.BREACHED
    assert timer.breached_at == utc(2026, 3, 2, 16)
    assert timer.next_check_at is None
    breach_rows = Notification.objects.filter(template="sla_breach", context__metric="resolution")
    # Assignee and group manager; P5 is not escalated to the duty manager.
    assert sorted(breach_rows.values_list("address", flat=True)) == [
        "agent@example.com",
        "incident_manager@example.com",
    ]
    row = breach_rows.first()
    assert row.context["number"] == incident.number and row.thread == incident.number
    assert row.dedupe_key.startswith(f"sla:{timer.pk}:breach:1:")

    # Duplicate sweeps, or a sweep that forgets it already ran, never double anything.
    before = Notification.objects.count()
    SlaTimer.objects.filter(pk=timer.pk).update(
        next_check_at=utc(2026, 3, 2, 16), state="running", breached_at=None
    )
    services.sweep_timers()
    assert Notification.objects.count() == before
    assert incident.timeline.filter(kind="sla", data__event="breach", data__metric="resolution").count() == 2
    # (the forced replay above re-recorded the timeline fact, but the outbox stayed single)


def test_p1_breach_goes_to_duty_manager_and_policy_recipients(
    clock, policy, duty_desk, end_user, agent, service_desk_group, change_manager
):
    policy.escalation_users.add(change_manager)
    policy.escalation_addresses = "noc@example.com\nsla-watch@example.com"
    policy.save()
    incident = make_incident(end_user, impact=1, urgency=1, assignment_group=service_desk_group)
    clock.set(utc(2026, 3, 2, 12, 0, 1))  # P1 resolution 4 h
    services.sweep_timers()
    rows = Notification.objects.filter(template="sla_breach", context__metric="resolution")
    # Unassigned: the group's address instead of an assignee.
    assert sorted(rows.values_list("address", flat=True)) == sorted(
        [
            "sd@example.com", "incident_manager@example.com", "duty@example.com",
            "change_manager@example.com", "noc@example.com", "sla-watch@example.com",
        ]
    )  # fmt: skip
    # Response (15 min), resolution (4 h) and update (4 h) were all missed: three breaches.
    assert Notification.objects.filter(template="sla_breach").count() == 18
    assert resolution(incident).state == TimerState.BREACHED


def test_paused_timer_is_never_due(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="?")
    clock.set(utc(2026, 3, 9, 8))
    services.sweep_timers()
    timer = resolution(incident)
    assert timer.state == TimerState.PAUSED and timer.breached_at is None
    assert not Notification.objects.filter(template__startswith="sla_", context__metric="resolution").exists()


def test_breached_timer_keeps_counting(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    clock.set(utc(2026, 3, 3, 8))  # Tuesday 09:00: 8 h + 1 h
    services.sweep_timers()
    timer = SlaTimer.objects.for_display().get(pk=resolution(incident).pk)
    assert timer.state == TimerState.BREACHED
    view = services.view(timer)
    assert view.figures.elapsed.total_seconds() == 9 * 3600
    assert view.remaining_seconds == -3600


def test_sweep_costs_the_same_queries_for_ten_or_thirty_due_timers(clock, policy, desk, end_user, agent):
    def run(n):
        for _ in range(n):
            make_incident(end_user)
        clock.advance(days=7)
        with CaptureQueriesContext(connection) as ctx:
            services.sweep_timers(batch_size=500)
        return len(ctx.captured_queries)

    assert run(3) == run(10)
