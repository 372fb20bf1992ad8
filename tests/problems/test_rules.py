"""Pure rules: the problem transition table, its required fields, resolution codes and task lifecycle."""

import pytest

from problems.choices import ResolutionCode, State, TaskState
from problems.rules import (
    MANAGER_ONLY,
    TRANSITIONS,
    age_bucket,
    allowed_transitions,
    task_transition_errors,
    transition_errors,
)

FULL = {
    "root_cause": "Expired certificate",
    "workaround": "Restart the relay",
    "resolution_code": "",
    "fix_description": "Renewed and automated",
    "resolution_notes": "Logged in error",
}


def test_happy_path_new_to_closed_is_allowed():
    path = [
        (State.NEW, State.ASSESS, {}),
        (State.ASSESS, State.ROOT_CAUSE_ANALYSIS, {}),
        (State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS, {"root_cause": "x"}),
        (State.FIX_IN_PROGRESS, State.RESOLVED, {"resolution_code": "fix_applied", "fix_description": "y"}),
        (State.RESOLVED, State.CLOSED, {}),
    ]
    for current, target, values in path:
        assert transition_errors(current, target, values) == {}, (current, target)


@pytest.mark.parametrize("current", list(TRANSITIONS))
@pytest.mark.parametrize("target", [s for s in State.values])
def test_every_move_outside_the_table_is_refused(current, target):
    values = {**FULL, "resolution_code": "cancelled" if current == State.ASSESS else "risk_accepted"}
    errors = transition_errors(current, target, values, is_manager=True)
    if target in TRANSITIONS[current]:
        if target == State.RESOLVED and current == State.FIX_IN_PROGRESS:
            assert errors == {}
        else:
            assert "state" not in errors
    else:
        assert set(errors) == {"state"}


def test_fix_in_progress_needs_root_cause_or_workaround():
    errors = transition_errors(State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS, {"root_cause": " "})
    assert set(errors) == {"root_cause", "workaround"}
    assert transition_errors(State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS, {"workaround": "w"}) == {}
    assert transition_errors(State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS, {"root_cause": "r"}) == {}


def test_resolution_needs_code_and_fix_description():
    errors = transition_errors(State.FIX_IN_PROGRESS, State.RESOLVED, {})
    assert set(errors) == {"resolution_code", "fix_description"}


def test_fix_applied_only_after_fix_in_progress():
    values = {"resolution_code": ResolutionCode.FIX_APPLIED, "fix_description": "x"}
    assert transition_errors(State.FIX_IN_PROGRESS, State.RESOLVED, values) == {}
    assert "resolution_code" in transition_errors(State.ASSESS, State.RESOLVED, values)
    assert "resolution_code" in transition_errors(State.ROOT_CAUSE_ANALYSIS, State.RESOLVED, values)


def test_duplicate_from_assess_and_unknown_code():
    ok = {"resolution_code": ResolutionCode.DUPLICATE, "fix_description": "Duplicate of PRB0001001"}
    assert transition_errors(State.ASSESS, State.RESOLVED, ok) == {}
    bad = {"resolution_code": "magic", "fix_description": "x"}
    assert transition_errors(State.ASSESS, State.RESOLVED, bad) == {
        "resolution_code": "Unknown resolution code."
    }


def test_cancel_needs_a_reason():
    assert set(transition_errors(State.NEW, State.CANCELLED, {})) == {"resolution_notes"}
    assert transition_errors(State.NEW, State.CANCELLED, {"resolution_notes": "not a problem"}) == {}


def test_reanalyze_is_for_problem_managers_only():
    assert (State.CLOSED, State.ROOT_CAUSE_ANALYSIS) in MANAGER_ONLY
    assert "state" in transition_errors(State.CLOSED, State.ROOT_CAUSE_ANALYSIS, {})
    assert transition_errors(State.CLOSED, State.ROOT_CAUSE_ANALYSIS, {}, is_manager=True) == {}
    assert allowed_transitions(State.CLOSED) == []
    assert allowed_transitions(State.CLOSED, is_manager=True) == [State.ROOT_CAUSE_ANALYSIS]


def test_terminal_cancelled_has_no_exit():
    assert allowed_transitions(State.CANCELLED, is_manager=True) == []


def test_task_lifecycle():
    assert task_transition_errors(TaskState.OPEN, TaskState.IN_PROGRESS) == {}
    assert task_transition_errors(TaskState.IN_PROGRESS, TaskState.CLOSED, "complete") == {}
    assert set(task_transition_errors(TaskState.IN_PROGRESS, TaskState.CLOSED)) == {"close_code"}
    assert set(task_transition_errors(TaskState.OPEN, TaskState.CLOSED, "done")) == {"close_code"}
    assert task_transition_errors(TaskState.CLOSED, TaskState.OPEN) == {}  # re-assess
    assert set(task_transition_errors(TaskState.CLOSED, TaskState.IN_PROGRESS)) == {"state"}


@pytest.mark.parametrize(
    ("days", "bucket"), [(0, "lt7"), (6, "lt7"), (7, "lt30"), (29, "lt30"), (30, "lt90"), (90, "gte90")]
)
def test_age_buckets(days, bucket):
    assert age_bucket(days) == bucket
