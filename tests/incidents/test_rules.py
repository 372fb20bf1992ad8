"""Pure rules: the priority matrix (every cell) and the transition table (every allowed move)."""

import itertools

import pytest

from incidents.choices import State
from incidents.rules import (
    DEFAULT_PRIORITY_MATRIX,
    TRANSITIONS,
    allowed_transitions,
    priority_for,
    transition_errors,
)

EXPECTED = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


@pytest.mark.parametrize(("impact", "urgency"), list(EXPECTED))
def test_default_matrix_cell(impact, urgency):
    assert priority_for(impact, urgency) == EXPECTED[(impact, urgency)]


def test_matrix_override_applies_to_its_cell_only():
    override = {(3, 3): 4}
    assert priority_for(3, 3, override) == 4
    assert priority_for(1, 1, override) == 1


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (4, 1), (7, 2), (1, 0), (2, 9)])
def test_out_of_range_is_refused(impact, urgency):
    with pytest.raises(ValueError):
        priority_for(impact, urgency)


VALUES = {
    "hold_reason": "awaiting_vendor",
    "resolution_code": "solution_provided",
    "resolution_notes": "Fixed.",
}
ALLOWED = [(src, dst) for src, targets in TRANSITIONS.items() for dst in targets]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_transition_passes_with_its_fields(current, target):
    assert transition_errors(current, target, VALUES) == {}


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_transition_names_its_missing_fields(current, target):
    errors = transition_errors(current, target, {})
    assert set(errors) == set(TRANSITIONS[current][target])


FORBIDDEN = [
    (src, dst) for src, dst in itertools.product(State.values, State.values) if dst not in TRANSITIONS[src]
]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_forbidden_transitions_list_the_allowed_ones(current, target):
    errors = transition_errors(current, target, VALUES)
    assert set(errors) == {"state"}
    for allowed in allowed_transitions(current):
        assert allowed in errors["state"]


def test_terminal_states_have_no_way_out():
    assert allowed_transitions(State.CLOSED) == []
    assert allowed_transitions(State.CANCELLED) == []


def test_resolved_can_only_close_or_reopen():
    assert set(allowed_transitions(State.RESOLVED)) == {State.CLOSED, State.IN_PROGRESS}


def test_default_matrix_is_symmetric_in_design():
    assert all(DEFAULT_PRIORITY_MATRIX[(i, u)] == DEFAULT_PRIORITY_MATRIX[(u, i)] for i, u in EXPECTED)
