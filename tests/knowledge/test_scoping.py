"""Audience and state decide who finds and reads an article, in UI, API and search alike."""

import pytest

from knowledge.search import search_articles

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(article_factory, agent, other_group_agent):
    """One article per (state, audience), all about printers, written by ``agent``."""
    make = article_factory
    return {
        "public": make(state="published", title="Printer public guide"),
        "internal": make(state="published", title="Printer internal procedure", audience="agents"),
        "draft": make(state="draft", title="Printer draft notes"),
        "review": make(state="review", title="Printer review candidate"),
        "retired": make(state="retired", title="Printer retired guide"),
        "other_draft": make(other_group_agent, state="draft", title="Printer draft by someone else"),
    }


EXPECTED = {
    # who: the articles they may open (UI and API) / find in search
    "end_user": ({"public"}, {"public"}),
    "agent": (
        {"public", "internal", "draft", "review", "retired"},
        {"public", "internal", "draft", "review"},
    ),
    "other_group_agent": (
        {"public", "internal", "retired", "other_draft"},
        {"public", "internal", "other_draft"},
    ),
    "knowledge_manager": (
        {"public", "internal", "draft", "review", "retired", "other_draft"},
        {"public", "internal", "draft", "review", "other_draft"},
    ),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_search_respects_audience_and_state(who, cast, request):
    user = request.getfixturevalue(who)
    found = {r.article.pk for r in search_articles(user, "printer", limit=50)}
    assert found == {cast[key].pk for key in EXPECTED[who][1]}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_api_list_and_detail_respect_audience_and_state(who, cast, request, as_user):
    user = request.getfixturevalue(who)
    client = as_user(user)
    listed = {a["number"] for a in client.get("/api/v1/kb/articles/?page_size=100").json()["results"]}
    assert listed == {cast[key].number for key in EXPECTED[who][0]}
    searched = {a["number"] for a in client.get("/api/v1/kb/articles/?search=printer").json()["results"]}
    assert searched == {cast[key].number for key in EXPECTED[who][1]}
    for key, article in cast.items():
        status = client.get(f"/api/v1/kb/articles/{article.number}/").status_code
        assert status == (200 if key in EXPECTED[who][0] else 404), key


@pytest.mark.parametrize("who", ["agent", "other_group_agent", "knowledge_manager"])
def test_agent_ui_detail_respects_state(who, cast, request, client):
    client.force_login(request.getfixturevalue(who))
    for key, article in cast.items():
        status = client.get(f"/agent/kb/{article.number}/").status_code
        assert status == (200 if key in EXPECTED[who][0] else 404), key


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_portal_shows_only_published_articles(who, cast, request, client):
    client.force_login(request.getfixturevalue(who))
    visible = EXPECTED[who][0] & {"public", "internal"}
    for key, article in cast.items():
        status = client.get(f"/portal/kb/{article.number}/").status_code
        assert status == (200 if key in visible else 404), key
    page = client.get("/portal/kb/?q=printer").content.decode()
    for key, article in cast.items():
        assert (article.title in page) == (key in visible), key


def test_end_user_gets_no_agent_area(client, end_user, cast):
    client.force_login(end_user)
    assert client.get("/agent/kb/").status_code == 403
    assert client.get(f"/agent/kb/{cast['public'].number}/").status_code == 403


def test_end_user_cannot_write_through_the_api(as_user, end_user, cast):
    client = as_user(end_user)
    assert client.post("/api/v1/kb/articles/", {"title": "Hello there", "body": "x"}).status_code == 403
    number = cast["public"].number
    assert client.patch(f"/api/v1/kb/articles/{number}/", {"title": "Changed!"}).status_code == 403
    assert client.post(f"/api/v1/kb/articles/{number}/retire/").status_code == 403


def test_anonymous_sees_nothing(client, api_client, cast):
    assert client.get("/portal/kb/").status_code == 302
    assert client.get(f"/portal/kb/{cast['public'].number}/").status_code == 302
    assert api_client.get("/api/v1/kb/articles/").status_code == 401
