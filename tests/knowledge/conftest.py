"""Knowledge fixtures: articles in each state, written through the services like the product does."""

from __future__ import annotations

import pytest

from knowledge import services
from knowledge.choices import Action


def make_article(
    author,
    *,
    state: str = "draft",
    manager=None,
    title: str = "Printer shows as offline",
    body: str = "Open **Printers & scanners** and clear *Use Printer Offline*.",
    summary: str = "Bring an offline printer back.",
    **fields,
):
    """An article by ``author`` moved to ``state`` (publishing and retiring need ``manager``)."""
    article = services.create_article(by=author, title=title, body=body, summary=summary, **fields)
    if state == "draft":
        return article
    article = services.perform_action(article, by=author, action=Action.SUBMIT)
    if state == "review":
        return article
    article = services.perform_action(article, by=manager, action=Action.PUBLISH)
    if state == "retired":
        article = services.perform_action(article, by=manager, action=Action.RETIRE)
    return article


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The cast is created per test; PBKDF2 would make each setup take a second or more.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def article_factory(agent, knowledge_manager):
    def factory(author=None, *, state="draft", **fields):
        return make_article(author or agent, state=state, manager=knowledge_manager, **fields)

    return factory


@pytest.fixture
def published(article_factory, category_tree):
    return article_factory(
        state="published",
        category=category_tree["Printer"],
        tags=["printer", "offline"],
    )
