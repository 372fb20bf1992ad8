"""Agent pages: list, editor with preview, detail with lifecycle buttons, review queue, report."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge import services
from knowledge.models import Article, ArticleRevision

pytestmark = pytest.mark.django_db


def _form_data(form) -> dict:
    """What the browser would post back for an unchanged form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, [], ""):
            data[name] = value
    return data


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_list_has_a_constant_number_of_queries(agent_client, article_factory, category_tree):
    article_factory(state="published", category=category_tree["Printer"], tags=["printer"])
    with CaptureQueriesContext(connection) as few:
        assert agent_client.get("/agent/kb/").status_code == 200
    for index in range(8):
        article_factory(
            state="published",
            title=f"Article number {index}",
            category=category_tree["PC"],
            tags=[f"t{index}", "x"],
        )
    with CaptureQueriesContext(connection) as many:
        page = agent_client.get("/agent/kb/")
    assert len(many) == len(few)
    assert "Article number 7" in page.content.decode()


def test_list_filters_and_full_text_search(agent_client, article_factory):
    article_factory(state="published", title="Printer shows as offline")
    article_factory(state="draft", title="Draft about e-mail")
    html = agent_client.get("/agent/kb/?state=draft").content.decode()
    assert "Draft about e-mail" in html and "Printer shows as offline" not in html
    html = agent_client.get("/agent/kb/?q=offline+printer").content.decode()
    assert "Best matches" in html and "Printer shows as offline" in html


def test_typing_an_article_number_opens_it(agent_client, published):
    response = agent_client.get(f"/agent/kb/?q={published.number.lower()}")
    assert response.status_code == 302 and response["Location"] == f"/agent/kb/{published.number}/"


def test_create_an_article_from_the_editor(agent_client, agent, category_tree):
    page = agent_client.get("/agent/kb/new/")
    assert page.status_code == 200 and 'hx-post="/agent/kb/preview/"' in page.content.decode()
    response = agent_client.post(
        "/agent/kb/new/",
        {
            "title": "Clear a paper jam",
            "summary": "Remove jammed paper.",
            "body": "1. Open the doors.\n2. Pull the paper out.",
            "language": "en",
            "audience": "everyone",
            "category": category_tree["Printer"].pk,
            "tags": "printer, paper jam, Printer",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/agent/kb/{article.number}/"
    assert (article.title, article.state, article.owner, article.author) == (
        "Clear a paper jam",
        "draft",
        agent,
        agent,
    )
    assert sorted(article.tags.values_list("name", flat=True)) == ["paper jam", "printer"]
    assert "<ol>" in article.body_html


def test_editor_errors_name_the_field(agent_client):
    response = agent_client.post("/agent/kb/new/", {"title": "abc", "body": "", "language": "xx"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"title", "body", "language"}
    assert not Article.objects.exists()


def test_preview_is_sanitised(agent_client):
    response = agent_client.post("/agent/kb/preview/", {"body": "**Hi** <script>alert(1)</script>"})
    html = response.content.decode()
    assert "<strong>Hi</strong>" in html and "<script" not in html


def test_editing_a_published_article_saves_a_revision(agent_client, published):
    page = agent_client.get(f"/agent/kb/{published.number}/edit/")
    form = page.context["form"]
    data = _form_data(form)
    data.update({"body": "A better body.", "change_note": "Clearer"})
    response = agent_client.post(f"/agent/kb/{published.number}/edit/", data)
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.body != "A better body." and published.version == 1
    assert ArticleRevision.objects.get(article=published).body == "A better body."
    detail = agent_client.get(f"/agent/kb/{published.number}/").content.decode()
    assert "will become version 2" in detail and "Submit for review (revision)" in detail


def test_stale_editor_gets_a_form_error(agent_client, agent, article_factory):
    article = article_factory()
    page = agent_client.get(f"/agent/kb/{article.number}/edit/")
    form = page.context["form"]
    data = _form_data(form)
    services.edit_article(article, by=agent, changes={"title": "Changed meanwhile"})
    data["title"] = "My late change"
    response = agent_client.post(f"/agent/kb/{article.number}/edit/", data)
    assert response.status_code == 200
    assert "Someone else changed this article" in response.content.decode()
    article.refresh_from_db()
    assert article.title == "Changed meanwhile"


def test_lifecycle_buttons_follow_the_rules(client, agent, knowledge_manager, article_factory):
    article = article_factory(state="review")
    client.force_login(agent)
    html = client.get(f"/agent/kb/{article.number}/").content.decode()
    assert f"/agent/kb/{article.number}/publish/" not in html
    assert client.post(f"/agent/kb/{article.number}/publish/").status_code == 403
    client.force_login(knowledge_manager)
    html = client.get(f"/agent/kb/{article.number}/").content.decode()
    assert f"/agent/kb/{article.number}/publish/" in html and f"/agent/kb/{article.number}/reject/" in html
    response = client.post(f"/agent/kb/{article.number}/publish/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == "published" and article.version == 1


def test_wrong_step_is_a_message_not_an_error(client, knowledge_manager, article_factory):
    article = article_factory()
    client.force_login(knowledge_manager)
    response = client.post(f"/agent/kb/{article.number}/publish/", follow=True)
    assert response.status_code == 200
    assert "“Publish” is not possible for an article that is draft" in response.content.decode()
    assert client.post(f"/agent/kb/{article.number}/nonsense/").status_code == 404


def test_review_queue(client, agent, knowledge_manager, article_factory, published):
    waiting = article_factory(state="review", title="Waiting for review")
    services.edit_article(published, by=agent, changes={"body": "Better"})
    services.perform_action(published, by=agent, action="submit")
    client.force_login(knowledge_manager)
    html = client.get("/agent/kb/review/").content.decode()
    assert "Awaiting your review" in html and waiting.title in html and "Revision → version 2" in html


def test_report_is_for_knowledge_managers(client, agent, knowledge_manager, published):
    client.force_login(agent)
    assert client.get("/agent/kb/report/").status_code == 403
    client.force_login(knowledge_manager)
    page = client.get("/agent/kb/report/?days=30")
    assert page.status_code == 200 and "Deflection" in page.content.decode()
    csv = client.get("/agent/kb/report/?days=30&format=csv&table=stale")
    assert csv["Content-Type"].startswith("text/csv") and csv.content.decode().startswith("Number,Title")


def test_agent_suggestions_for_an_incident(agent_client, published, category_tree):
    html = agent_client.get(
        f"/agent/kb/suggest/?q=my+printer+says+offline&category={category_tree['Printer'].pk}"
    ).content.decode()
    assert published.title in html
    # No words match: the category's best articles instead.
    html = agent_client.get(
        f"/agent/kb/suggest/?q=zzzz&category={category_tree['Printer'].pk}"
    ).content.decode()
    assert published.title in html
    assert agent_client.get("/agent/kb/suggest/?q=zzzz&category=abc").status_code == 200
