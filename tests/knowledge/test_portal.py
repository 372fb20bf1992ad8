"""The portal knowledge base: search, browse, read, rate, and suggestions while reporting."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import Article, ArticleEvent, ArticleFeedback, ArticleView
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, end_user):
    client.force_login(end_user)
    return client


def test_home_lists_categories_and_popular_articles(portal, published, category_tree):
    page = portal.get("/portal/kb/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hardware" in html and f"/portal/kb/category/{category_tree['Hardware'].pk}/" in html
    assert published.title in html


def test_search_page_and_htmx_partial(portal, published):
    page = portal.get("/portal/kb/?q=printer+offline")
    assert published.title in page.content.decode() and "<mark>" in page.content.decode()
    partial = portal.get("/portal/kb/?q=printer", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kb-results")
    html = partial.content.decode()
    assert "<html" not in html and published.title in html and "?from=search" in html


def test_category_page_includes_subcategories(portal, published, category_tree):
    html = portal.get(f"/portal/kb/category/{category_tree['Hardware'].pk}/").content.decode()
    assert published.title in html
    assert (
        published.title
        not in portal.get(f"/portal/kb/category/{category_tree['E-mail'].pk}/").content.decode()
    )


def test_reading_counts_a_view_once_per_half_hour(portal, published, end_user):
    assert portal.get(f"/portal/kb/{published.number}/").status_code == 200
    portal.get(f"/portal/kb/{published.number}/")
    published.refresh_from_db()
    assert published.view_count == 1
    assert ArticleView.objects.get(article=published).source == "portal"


def test_rating_helpful_with_htmx(portal, published, end_user):
    response = portal.post(
        f"/portal/kb/{published.number}/feedback/", {"helpful": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Glad it helped" in response.content.decode()
    published.refresh_from_db()
    assert (published.helpful_count, published.not_helpful_count) == (1, 0)
    # Changing one's mind moves the vote; it does not add a second one.
    portal.post(f"/portal/kb/{published.number}/feedback/", {"helpful": "no", "comment": "Still offline."})
    published.refresh_from_db()
    assert (published.helpful_count, published.not_helpful_count) == (0, 1)
    feedback = ArticleFeedback.objects.get(article=published, user=end_user)
    assert (feedback.helpful, feedback.comment, feedback.version) == (False, "Still offline.", 1)
    assert ArticleEvent.objects.filter(ticket=published, kind="rating").exists()
    # The owner hears about "not helpful" with a reason.
    assert Notification.objects.filter(template="kb_feedback", recipient=published.owner).count() == 1


def test_rating_without_a_choice_is_a_clear_error(portal, published):
    response = portal.post(
        f"/portal/kb/{published.number}/feedback/", {"helpful": "maybe"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Choose yes or no" in response.content.decode()
    published.refresh_from_db()
    assert published.votes == 0


def test_cannot_rate_an_article_one_cannot_read(portal, article_factory):
    internal = article_factory(state="published", audience="agents")
    assert portal.post(f"/portal/kb/{internal.number}/feedback/", {"helpful": "yes"}).status_code == 404
    assert Article.objects.get(pk=internal.pk).votes == 0


def test_suggestions_while_reporting(portal, published):
    short = portal.get("/portal/kb/suggest/?q=pr&visit=abc")
    assert short.status_code == 200 and short.content.decode().strip() == ""
    response = portal.get("/portal/kb/suggest/?q=printer&visit=abc123")
    html = response.content.decode()
    assert published.title in html
    assert f"/portal/kb/{published.number}/?from=report-form&amp;visit=abc123" in html


def test_opening_a_suggestion_records_a_report_form_view(portal, published, end_user):
    portal.get(f"/portal/kb/{published.number}/?from=report-form&visit=abc123")
    view = ArticleView.objects.get(article=published)
    assert (view.source, view.visit, view.user) == ("report_form", "abc123", end_user)


def test_suggest_box_snippet_renders_with_a_visit_id():
    from django.template.loader import render_to_string

    html = render_to_string("portal/knowledge/_suggest_box.html", {"target_field": "id_short_description"})
    assert 'hx-get="/portal/kb/suggest/"' in html and "id_short_description" in html
    assert '"visit": "' in html


def test_portal_home_query_count_does_not_grow_with_articles(portal, article_factory, category_tree):
    article_factory(state="published", category=category_tree["Printer"])
    with CaptureQueriesContext(connection) as few:
        portal.get("/portal/kb/")
    for index in range(6):
        article_factory(state="published", title=f"Another article {index}", category=category_tree["PC"])
    with CaptureQueriesContext(connection) as many:
        portal.get("/portal/kb/")
    assert len(many) == len(few)


def test_portal_speaks_swedish(client, other_end_user, published):
    client.force_login(other_end_user)  # language "sv"
    html = client.get(f"/portal/kb/{published.number}/").content.decode()
    assert "Var detta till hjälp?" in html and "Ja, det hjälpte" in html
    assert "Kunskapsdatabas" in client.get("/portal/kb/").content.decode()


def test_review_request_mail_is_in_the_recipients_language(article_factory, agent, other_group_agent):
    from django.contrib.auth.models import Group

    from core import roles
    from notifications.services import render

    other_group_agent.groups.add(Group.objects.get(name=roles.KNOWLEDGE_MANAGER))  # Swedish speaker
    article = article_factory()
    from knowledge import services

    services.perform_action(article, by=agent, action="submit")
    note = Notification.objects.get(template="kb_review_requested", recipient=other_group_agent)
    subject, body, _html = render(note)
    assert subject == f"[{article.number}] Artikel väntar på din granskning: {article.title}"
    assert "Granska den här:" in body and f"/agent/kb/{article.number}/" in body
