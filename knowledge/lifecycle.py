"""The article lifecycle as pure rules: one transition table, who may take each step.

``draft → review → published → retired``; a reviewer (knowledge manager) may send an article in
review back to draft. A published article is never edited in place: an edit is an
``ArticleRevision`` that goes through the same draft → review → publish steps and, when published,
becomes the next version. These functions do no I/O, so UI, API, admin and tasks share them and
tests exercise them without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.choices import Action, ArticleState


class TransitionError(ValueError):
    """The action is not possible from the current state."""


# (state, action) -> next state. Revisions use the same table (their states are draft/review;
# publishing a revision merges it into the article, which stays published).
TRANSITIONS: dict[tuple[str, str], str] = {
    (ArticleState.DRAFT, Action.SUBMIT): ArticleState.REVIEW,
    (ArticleState.REVIEW, Action.PUBLISH): ArticleState.PUBLISHED,
    (ArticleState.REVIEW, Action.REJECT): ArticleState.DRAFT,
    (ArticleState.PUBLISHED, Action.RETIRE): ArticleState.RETIRED,
}

# Who may take each action: "editor" = the author, the owner or a knowledge manager;
# "manager" = knowledge managers (the reviewers) only.
EDITOR, MANAGER = "editor", "manager"
ACTION_ROLE: dict[str, str] = {
    Action.SUBMIT: EDITOR,
    Action.PUBLISH: MANAGER,
    Action.REJECT: MANAGER,
    Action.RETIRE: MANAGER,
}

# Actions that need a written reason (shown to the author and kept on the timeline).
REASON_REQUIRED = frozenset({Action.REJECT})


@dataclass(frozen=True)
class Actor:
    """What the rules need to know about the person acting on one article."""

    is_editor: bool
    is_manager: bool


def next_state(state: str, action: str) -> str:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionError(f"cannot {action} an article that is {state}") from None


def may_perform(action: str, actor: Actor) -> bool:
    role = ACTION_ROLE.get(action)
    if role == MANAGER:
        return actor.is_manager
    if role == EDITOR:
        return actor.is_editor or actor.is_manager
    return False


def available_actions(state: str, actor: Actor) -> list[str]:
    """The actions this actor can take now, in a stable order for buttons."""
    return [
        action for (from_state, action) in TRANSITIONS if from_state == state and may_perform(action, actor)
    ]


def content_edit_mode(state: str) -> str | None:
    """How the content of an article in ``state`` is edited.

    "direct": the working copy is the article itself (not yet public);
    "revision": the article is live, so an edit becomes a revision to review;
    None: retired articles are not edited (create a new one instead).
    """
    if state in (ArticleState.DRAFT, ArticleState.REVIEW):
        return "direct"
    if state == ArticleState.PUBLISHED:
        return "revision"
    return None
