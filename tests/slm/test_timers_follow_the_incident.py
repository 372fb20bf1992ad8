"""End to end through the incident operations: creation starts timers, the first public agent
comment meets `response`, on hold pauses `resolution`, back to in progress resumes it with a later
due time, resolution meets it, reopening resumes it; priority changes retarget; cancel cancels."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents import services as incidents
from incidents.choices import HoldReason, State
from slm import services
from slm.choices import Metric, SegmentKind, TimerState
from slm.models import SlaTimer
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def timer(incident, metric, kind="sla"):
    return SlaTimer.objects.filter(incident=incident, metric=metric, kind=kind).order_by("-cycle").first()


def sla_entries(incident):
    return list(
        incident.timeline.filter(kind="sla").order_by("id").values_list("data__event", "data__metric")
    )


def test_the_whole_life_of_an_incident(clock, policy, desk, end_user, agent, service_desk_group):
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    response, resolution, update = (timer(incident, m) for m in ("response", "resolution", "update"))
    # Created Monday 09:00 Stockholm on an 08:00-17:00 calendar.
    assert response.state == resolution.state == update.state == TimerState.RUNNING
    assert response.started_at == incident.created_at == utc(2026, 3, 2, 8)
    assert response.due_at == utc(2026, 3, 2, 9)  # 60 business minutes
    assert resolution.due_at == utc(2026, 3, 2, 16)  # 17:00 local
    assert resolution.warning_at == utc(2026, 3, 2, 14)  # 75 % of 8 h = 6 h
    assert resolution.next_check_at == resolution.warning_at
    assert sla_entries(incident) == [
        ("started", "response"),
        ("started", "resolution"),
        ("started", "update"),
    ]

    # 09:30: the agent's first public comment meets the response target.
    clock.advance(minutes=30)
    incidents.add_comment(incident, by=agent, body="Looking into it.", public=True)
    response.refresh_from_db()
    assert response.state == TimerState.MET
    assert response.stopped_at == utc(2026, 3, 2, 8, 30)
    assert response.elapsed_seconds == 30 * 60
    assert response.next_check_at is None
    # ...and is the caller's update: cycle 1 met, cycle 2 running from now.
    cycles = list(SlaTimer.objects.filter(incident=incident, metric="update").order_by("cycle"))
    assert [(c.cycle, c.state) for c in cycles] == [(1, "met"), (2, "running")]
    assert cycles[1].started_at == utc(2026, 3, 2, 8, 30)

    # 10:00: on hold awaiting the caller pauses resolution (and the update cycle).
    clock.advance(minutes=30)
    incidents.put_on_hold(
        incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="Which printer?"
    )
    resolution.refresh_from_db()
    assert resolution.state == TimerState.PAUSED and resolution.is_paused
    assert resolution.due_at is None and resolution.next_check_at is None
    assert resolution.elapsed_seconds == 3600
    assert timer(incident, "update").state == TimerState.PAUSED

    # 12:00: the caller answers; back in progress, resolution resumes with a due time 2 h later.
    clock.advance(hours=2)
    incidents.add_comment(incident, by=end_user, body="The one on floor 3.", public=True)
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    # 1 h counted; 7 h left from 12:00 = 5 h Monday + 2 h Tuesday -> Tuesday 10:00 local.
    assert resolution.due_at == utc(2026, 3, 3, 9)
    kinds = list(resolution.segments.values_list("kind", "start", "end"))
    assert kinds == [
        (SegmentKind.RUNNING, utc(2026, 3, 2, 8), utc(2026, 3, 2, 9)),
        (SegmentKind.PAUSED, utc(2026, 3, 2, 9), utc(2026, 3, 2, 11)),
        (SegmentKind.RUNNING, utc(2026, 3, 2, 11), None),
    ]

    # 13:00: resolved within target.
    clock.advance(hours=1)
    incidents.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Fixed."
    )
    resolution.refresh_from_db()
    assert resolution.state == TimerState.MET
    assert resolution.elapsed_seconds == 2 * 3600
    assert resolution.stopped_at == utc(2026, 3, 2, 12)
    assert timer(incident, "update").state == TimerState.MET

    # 14:00: the caller rejects the resolution; the same timer counts on from 2 h.
    clock.advance(hours=1)
    incidents.reject_resolution(incident, by=end_user, reason="Still broken.")
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    assert resolution.stopped_at is None
    assert resolution.elapsed_seconds == 2 * 3600
    assert resolution.due_at == utc(2026, 3, 3, 10)  # 6 h left from 14:00 -> Tue 11:00 local
    assert resolution.segments.filter(kind="paused", reason="resolved").count() == 1
    assert timer(incident, "update").state == TimerState.RUNNING  # a new update cycle
    assert timer(incident, "response").state == TimerState.MET  # answered once and for all


def test_priority_change_retargets_and_keeps_elapsed(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)  # P5: resolution 8 h
    clock.advance(hours=1)
    incidents.update_incident(incident, by=agent, changes={"impact": 1, "urgency": 1})  # P1: 4 h
    resolution = timer(incident, "resolution")
    assert resolution.priority == 1
    assert resolution.target_seconds == 4 * 3600
    assert resolution.started_at == utc(2026, 3, 2, 8)
    assert resolution.elapsed_seconds == 3600
    assert resolution.due_at == utc(2026, 3, 2, 12)
    assert timer(incident, "response").target_seconds == 15 * 60
    assert ("retargeted", "resolution") in sla_entries(incident)


def test_major_incident_gets_its_own_policy(clock, policy, always, desk, end_user, agent):
    major = make_policy(
        "Major incidents", always, {("resolution", None): 120, ("response", None): 10}, order=1,
        applies_to_major="yes",
    )  # fmt: skip
    incident = make_incident(end_user)
    assert timer(incident, "resolution").policy == policy
    # The major-incident procedure (another app) accepts it; the next event re-evaluates.
    from incidents.models import Incident

    Incident.objects.filter(pk=incident.pk).update(major_state="accepted")
    incident.refresh_from_db()
    clock.advance(minutes=5)
    incidents.update_incident(incident, by=agent, changes={"description": "Whole floor is down."})
    resolution = timer(incident, "resolution")
    assert resolution.policy == major
    assert resolution.calendar == always
    assert resolution.due_at == utc(2026, 3, 2, 10)
    assert timer(incident, "update") is None or timer(incident, "update").state == TimerState.CANCELLED


def test_cancel_cancels_every_running_timer(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    incidents.cancel_incident(incident, by=agent, reason="Duplicate of INC0000001")
    assert set(SlaTimer.objects.filter(incident=incident).values_list("state", flat=True)) == {"cancelled"}
    assert not SlaTimer.objects.filter(incident=incident, next_check_at__isnull=False).exists()


def test_no_policy_no_timers(clock, desk, end_user):
    incident = make_incident(end_user)
    assert not incident.sla_timers.exists()


def test_first_matching_policy_by_order_wins(clock, calendar, desk, end_user, category_tree):
    make_policy(
        "Hardware", calendar, {("resolution", None): 600}, category=category_tree["Hardware"], order=20
    )
    make_policy("Printer", calendar, {("resolution", None): 300}, category=category_tree["Printer"], order=10)
    make_policy("Catch-all", calendar, {("resolution", None): 900}, order=99)
    assert (
        timer(make_incident(end_user, category=category_tree["Printer"]), "resolution").policy.name
        == "Printer"
    )
    assert (
        timer(make_incident(end_user, category=category_tree["PC"]), "resolution").target_seconds == 600 * 60
    )
    assert (
        timer(make_incident(end_user, category=category_tree["E-mail"]), "resolution").policy.name
        == "Catch-all"
    )


def test_hold_reason_that_does_not_pause_keeps_counting(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_VENDOR)
    resolution = timer(incident, "resolution")
    assert resolution.state == TimerState.RUNNING and not resolution.is_paused


def test_ola_measures_the_group_and_stops_on_handover(
    clock, policy, calendar, desk, end_user, agent, other_group_agent, service_desk_group, network_group
):
    make_policy(
        "Network OLA", calendar, {("resolution", None): 120, ("response", None): 30}, kind="ola",
        support_group=network_group,
    )  # fmt: skip
    incident = make_incident(end_user, assignment_group=service_desk_group)
    assert not SlaTimer.objects.filter(incident=incident, kind="ola").exists()
    clock.advance(minutes=10)
    incidents.assign_incident(incident, by=agent, group=network_group)
    ola = timer(incident, "resolution", kind="ola")
    assert ola.support_group == network_group and ola.started_at == utc(2026, 3, 2, 8, 10)
    assert timer(incident, "response", kind="ola").state == TimerState.RUNNING
    clock.advance(minutes=20)
    incidents.assign_incident(incident, by=agent, group=network_group, assignee=other_group_agent)
    assert timer(incident, "response", kind="ola").state == TimerState.MET
    clock.advance(minutes=40)
    incidents.assign_incident(incident, by=agent, group=service_desk_group)
    ola.refresh_from_db()
    assert ola.state == TimerState.MET and ola.elapsed_seconds == 60 * 60
    # The customer's SLA was untouched by the handovers.
    assert timer(incident, "resolution").started_at == utc(2026, 3, 2, 8)


def test_resolution_after_the_due_time_is_recorded_as_missed(clock, policy, desk, end_user, agent):
    incident = make_incident(end_user)
    clock.set(utc(2026, 3, 3, 12))  # Tuesday 13:00 local: 8 h Monday + 5 h Tuesday
    incidents.resolve_incident(incident, by=agent, resolution_code="solution_provided", resolution_notes="x")
    resolution = timer(incident, "resolution")
    assert resolution.state == TimerState.BREACHED
    assert resolution.breached_at == utc(2026, 3, 2, 16)
    assert resolution.elapsed_seconds == 13 * 3600  # missed by 5 business hours
    assert ("missed", "resolution") in sla_entries(incident)


def test_views_give_remaining_and_colour(clock, policy, desk, end_user):
    incident = make_incident(end_user)
    clock.advance(hours=7)  # 16:00 local: 7 of 8 h -> past the 75 % warning
    views = {
        v.timer.metric: v
        for v in map(services.view, services.current_timers(incident.sla_timers.for_display()))
    }
    assert views[Metric.RESOLUTION].remaining_seconds == 3600
    assert views[Metric.RESOLUTION].colour == "warn"
    assert views[Metric.RESPONSE].overdue and views[Metric.RESPONSE].colour == "bad"
    assert views[Metric.RESPONSE].remaining_seconds == -6 * 3600
    assert timedelta(seconds=views[Metric.UPDATE].remaining_seconds) == timedelta(hours=-3)
