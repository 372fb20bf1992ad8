"""The transition table and who may take each step, without a database."""

import pytest

from knowledge.choices import Action, ArticleState
from knowledge.lifecycle import (
    TRANSITIONS,
    Actor,
    TransitionError,
    available_actions,
    content_edit_mode,
    may_perform,
    next_state,
)

AUTHOR = Actor(is_editor=True, is_manager=False)
MANAGER = Actor(is_editor=False, is_manager=True)
OTHER_AGENT = Actor(is_editor=False, is_manager=False)


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        ("draft", "submit", "review"),
        ("review", "publish", "published"),
        ("review", "reject", "draft"),
        ("published", "retire", "retired"),
    ],
)
def test_allowed_transitions(state, action, expected):
    assert next_state(state, action) == expected


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "publish"),  # no publishing without review
        ("draft", "retire"),
        ("draft", "reject"),
        ("review", "submit"),
        ("review", "retire"),
        ("published", "publish"),
        ("published", "submit"),
        ("retired", "publish"),
        ("retired", "submit"),
        ("retired", "retire"),
    ],
)
def test_every_other_transition_is_refused(state, action):
    with pytest.raises(TransitionError):
        next_state(state, action)


def test_table_covers_only_known_states_and_actions():
    for (state, action), target in TRANSITIONS.items():
        assert state in ArticleState.values and target in ArticleState.values
        assert action in Action.values


@pytest.mark.parametrize(
    ("action", "author", "manager", "other"),
    [
        ("submit", True, True, False),
        ("publish", False, True, False),
        ("reject", False, True, False),
        ("retire", False, True, False),
    ],
)
def test_who_may_take_each_step(action, author, manager, other):
    assert may_perform(action, AUTHOR) is author
    assert may_perform(action, MANAGER) is manager
    assert may_perform(action, OTHER_AGENT) is other


def test_available_actions_per_state_and_person():
    assert available_actions("draft", AUTHOR) == ["submit"]
    assert available_actions("draft", OTHER_AGENT) == []
    assert available_actions("review", AUTHOR) == []
    assert available_actions("review", MANAGER) == ["publish", "reject"]
    assert available_actions("published", MANAGER) == ["retire"]
    assert available_actions("retired", MANAGER) == []


def test_content_edit_mode():
    assert content_edit_mode("draft") == "direct"
    assert content_edit_mode("review") == "direct"
    assert content_edit_mode("published") == "revision"
    assert content_edit_mode("retired") is None
