"""End users read knowledge articles through the API as the portal shows them.

No version history, change notes, author or owner accounts, counters or workflow state: the
end-user response is compared field by field with the portal's article page.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils.html import escape

from core import roles
from knowledge import services
from knowledge.choices import Action
from tests.conftest import make_user
from tests.knowledge.conftest import make_article

pytestmark = pytest.mark.django_db

API_HANDLES = {"number", "url"}
PORTAL_SHOWS = {
    "title": lambda b, html: escape(b["title"]) in html,
    "summary": lambda b, html: escape(b["summary"]) in html,
    "body_html": lambda b, html: b["body_html"] in html,
    "category": lambda b, html: escape(b["category"]["display"]) in html,
    "language": lambda b, html: f'lang="{b["language"]}"' in html,
    "published_at": lambda b, html: "Updated" in html,
}


@pytest.fixture
def writer(db):
    return make_user("writer.kb.internal", role_list=[roles.AGENT])


@pytest.fixture
def article(writer, knowledge_manager, category_tree):
    """Published twice: version 2 has a change note; an open revision waits with another."""
    article = make_article(
        writer, state="published", manager=knowledge_manager, category=category_tree["Printer"]
    )
    services.edit_article(
        article,
        by=writer,
        changes={
            "body": "Clear *Use Printer Offline* and restart the spooler.",
            "change_note": "NOTE-V2-SECRET",
        },
    )
    services.perform_action(article, by=writer, action=Action.SUBMIT)
    services.perform_action(article, by=knowledge_manager, action=Action.PUBLISH)
    services.edit_article(
        article, by=writer, changes={"body": "Draft text", "change_note": "NOTE-DRAFT-SECRET"}
    )
    article.refresh_from_db()
    return article


def test_end_user_reads_an_article_as_the_portal_page_shows_it(as_user, end_user, writer, article):
    body = as_user(end_user).get(f"/api/v1/kb/articles/{article.number}/").json()
    browser = Client()
    browser.force_login(end_user)
    page = browser.get(article.get_portal_url())
    assert page.status_code == 200
    html = page.content.decode()

    for field, value in body.items():
        if field in API_HANDLES:
            continue
        assert field in PORTAL_SHOWS, (
            f"{field}={value!r} is in the end user's API response, not on the portal page"
        )
        assert PORTAL_SHOWS[field](body, html), f"{field}={value!r} differs from the portal page"

    text = json.dumps(body)
    for internal in (
        "NOTE-V2-SECRET",
        "NOTE-DRAFT-SECRET",
        "writer.kb.internal",
        "knowledge_manager",
        "username",
    ):
        assert internal not in text
        assert internal not in html
    assert {"version", "lock_version", "revision", "author", "owner", "view_count", "state"}.isdisjoint(body)

    listed = as_user(end_user).get("/api/v1/kb/articles/").json()["results"]
    row = next(row for row in listed if row["number"] == article.number)
    # rank and snippet: the portal's search results show the highlighted excerpt in that order.
    assert set(row) <= API_HANDLES | set(PORTAL_SHOWS) | {"rank", "snippet"} and "owner" not in row

    searched = as_user(end_user).get("/api/v1/kb/articles/", {"search": "spooler"}).json()["results"]
    assert searched and {"author", "owner", "version"}.isdisjoint(searched[0])


def test_version_history_and_change_notes_are_for_agents(as_user, end_user, agent, article):
    assert as_user(end_user).get(f"/api/v1/kb/articles/{article.number}/versions/").status_code == 403
    versions = as_user(agent).get(f"/api/v1/kb/articles/{article.number}/versions/")
    assert versions.status_code == 200
    assert "NOTE-V2-SECRET" in {version["change_note"] for version in versions.json()}
    detail = as_user(agent).get(f"/api/v1/kb/articles/{article.number}/").json()
    assert detail["owner"]["username"] == "writer.kb.internal"
    assert detail["revision"]["change_note"] == "NOTE-DRAFT-SECRET"
