"""slm.replay builds the timers of many incidents from their history in bulk, with the same engine
and the same figures as the live events gave, and marks past thresholds without notifying."""

from datetime import UTC, datetime

import pytest

from incidents import services as incidents
from incidents.choices import HoldReason
from incidents.models import IncidentTimelineEntry
from notifications.models import Notification
from slm import services
from slm.choices import TimerState
from slm.models import SlaTimer
from slm.replay import replay_incidents
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def figures_of(incident):
    return {
        (t.kind, t.metric, t.cycle): (t.state, t.due_at, t.elapsed_seconds, t.breached_at, t.stopped_at)
        for t in SlaTimer.objects.filter(incident=incident)
    }


def test_replay_gives_the_timers_the_live_engine_gave(clock, policy, desk, end_user, agent):
    # A life with a pause, a first response, a resolution, a reopening and a late second fix.
    incident = make_incident(end_user, desk=desk)
    clock.advance(minutes=30)
    incidents.assign_incident(incident, by=agent, group=agent.support_groups.first(), assignee=agent)
    incidents.add_comment(incident, by=agent, body="Looking at it.", public=True)
    clock.advance(hours=1)
    incidents.put_on_hold(incident, by=agent, hold_reason=HoldReason.AWAITING_CALLER, comment="Asset tag?")
    clock.advance(hours=2)
    incidents.add_comment(incident, by=end_user, body="It is A-1234.", public=True)
    clock.advance(hours=1)
    incidents.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Fixed."
    )
    clock.advance(hours=3)
    incidents.reject_resolution(incident, by=end_user, reason="Still broken.")
    clock.advance(days=2)
    incidents.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Now."
    )
    live = figures_of(incident)
    assert any(state == TimerState.BREACHED for state, *_ in live.values())

    SlaTimer.objects.filter(incident=incident).delete()
    IncidentTimelineEntry.objects.filter(ticket=incident, kind="sla").delete()
    notifications = Notification.objects.count()
    assert replay_incidents([incident.pk]) == len(live)
    assert figures_of(incident) == live
    # The timeline tells the same story again, breach included; nobody is notified of the past.
    events = set(incident.timeline.filter(kind="sla").values_list("data__event", flat=True))
    assert {"started", "met", "resumed", "breach"} <= events
    assert Notification.objects.count() == notifications
    assert services.sweep_timers()["breaches"] == 0


def test_replay_marks_breaches_of_open_incidents_and_leaves_incidents_with_timers_alone(
    clock, policy, desk, end_user, agent
):
    incident = make_incident(end_user, desk=desk)
    other = make_incident(end_user, desk=desk)
    SlaTimer.objects.filter(incident=incident).delete()
    kept = figures_of(other)
    entries = incident.timeline.count()
    clock.set(utc(2026, 3, 4, 8))
    replay_incidents([incident.pk, other.pk], timeline=False)
    timer = SlaTimer.objects.get(incident=incident, metric="resolution")
    assert timer.state == TimerState.BREACHED and timer.breached_at == utc(2026, 3, 2, 16)
    assert timer.stopped_at is None and timer.next_check_at is None
    assert figures_of(other) == kept
    assert incident.timeline.count() == entries  # timeline=False: figures only
