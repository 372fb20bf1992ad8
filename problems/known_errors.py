"""The adapter between known errors and the knowledge base: ``publish_known_error``.

A problem marked as a known error is published as a knowledge article of type "known error"
(symptoms, workaround, cause), readable by agents only or by everyone, and updated whenever its
workaround changes. The knowledge base owns articles and their lifecycle; this module is the one
place that calls its service functions, so problem management does not depend on its internals.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True)
class Published:
    number: str  # the article's number (KB…)
    action: str  # "created" or "updated"


def knowledge_available() -> bool:
    """Whether the knowledge base provides the services this adapter needs."""
    if not apps.is_installed("knowledge"):
        return False
    try:
        apps.get_model("knowledge", "Article")
    except LookupError:
        return False
    return True


def publish_known_error(problem, *, by, audience: str) -> Published | None:
    """Create or update the problem's known error article; None when there is no knowledge base."""
    if not knowledge_available():
        return None
    raise NotImplementedError  # wired once the knowledge app's services are on main


def article_for(problem):
    """The problem's known error article, if the knowledge base has one for it."""
    if not knowledge_available():
        return
    return
