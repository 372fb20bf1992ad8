"""Pure rules of the major-incident procedure, without a database."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from incidents.choices import MajorState
from incidents.major import decision_errors, next_update_due, plan_steps, summarise_timeline

AGENT = {"is_agent": True, "is_manager": False}
MANAGER = {"is_agent": True, "is_manager": True}


def errors(state, action, *, open_=True, reason="because", **who):
    return decision_errors(state, action, incident_open=open_, reason=reason, **who)


@pytest.mark.parametrize("state", [MajorState.NONE, MajorState.REJECTED])
def test_any_agent_may_propose_a_new_or_rejected_incident(state):
    assert errors(state, "propose", **AGENT) == {}


def test_rejected_proposal_can_be_proposed_again_but_not_a_pending_one():
    assert errors(MajorState.REJECTED, "propose", **AGENT) == {}
    assert "major_state" in errors(MajorState.PROPOSED, "propose", **AGENT)


@pytest.mark.parametrize("action", ["accept", "reject", "declare"])
def test_only_an_incident_manager_accepts_rejects_or_declares(action):
    state = MajorState.NONE if action == "declare" else MajorState.PROPOSED
    assert "major_state" in errors(state, action, **AGENT)
    assert errors(state, action, **MANAGER) == {}


def test_end_users_take_no_part():
    assert "major_state" in errors(MajorState.NONE, "propose", is_agent=False, is_manager=False)


def test_accept_needs_a_proposal():
    assert "major_state" in errors(MajorState.NONE, "accept", **MANAGER)
    assert "major_state" in errors(MajorState.REJECTED, "accept", **MANAGER)


@pytest.mark.parametrize("state", [MajorState.ACCEPTED, MajorState.RESOLVED])
def test_nothing_is_decided_twice(state):
    for action in ("propose", "accept", "reject", "declare"):
        assert "major_state" in errors(state, action, **MANAGER)


def test_proposal_rejection_and_declaration_need_a_reason_accept_does_not():
    assert "reason" in errors(MajorState.NONE, "propose", reason="  ", **AGENT)
    assert "reason" in errors(MajorState.PROPOSED, "reject", reason="", **MANAGER)
    assert "reason" in errors(MajorState.NONE, "declare", reason="", **MANAGER)
    assert errors(MajorState.PROPOSED, "accept", reason="", **MANAGER) == {}


def test_closed_incident_is_never_made_major():
    assert "state" in errors(MajorState.NONE, "propose", open_=False, **AGENT)
    assert "state" in errors(MajorState.NONE, "declare", open_=False, **MANAGER)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        errors(MajorState.NONE, "escalate", **MANAGER)


def test_level_one_is_due_at_once_and_each_next_after_the_previous_wait():
    start = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    delays = [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=5)]
    assert plan_steps(delays, start) == [
        start,
        start + timedelta(minutes=15),
        start + timedelta(minutes=45),
    ]
    assert plan_steps([], start) == []


def test_next_update_is_due_one_cadence_after_the_last():
    posted = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert next_update_due(posted, timedelta(minutes=30)) == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)


def test_timeline_summary_has_one_line_per_event():
    at = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    entries = [(at, "Accepted", "Ingrid"), (at + timedelta(minutes=5), "Escalated", "")]
    # The one date-time format of the reader's language (core.dates), in UTC unless a zone is given.
    with translation.override("sv"):
        text = summarise_timeline(entries)
    assert text.splitlines() == ["2025-03-01 10:00 Accepted — Ingrid", "2025-03-01 10:05 Escalated"]
    with translation.override("en"):
        assert summarise_timeline(entries).splitlines()[0] == "1 Mar 2025, 10:00 Accepted — Ingrid"
