"""Lifecycle steps through the services: who may take them, history and notifications."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from knowledge import services
from knowledge.models import Article, ArticleEvent, ArticleVersion
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_agent_creates_a_draft_with_a_kb_number(agent, category_tree):
    article = services.create_article(
        by=agent,
        title="Replace the toner",
        body="Open the *front* cover.",
        category=category_tree["Printer"],
        tags=["Printer", "toner", "printer"],
    )
    article.refresh_from_db()
    assert article.number.startswith("KB") and len(article.number) == 9 and article.number[2:].isdigit()
    assert article.state == "draft" and article.version == 0
    assert article.owner == agent and article.author == agent
    assert article.body_html == "<p>Open the <em>front</em> cover.</p>"
    assert article.body_text == "Open the front cover."
    assert sorted(article.tags.values_list("name", flat=True)) == ["printer", "toner"]
    assert list(ArticleEvent.objects.filter(ticket=article).values_list("kind", flat=True)) == ["created"]


def test_end_user_cannot_write_articles(end_user):
    with pytest.raises(PermissionDenied):
        services.create_article(by=end_user, title="Something useful", body="x")
    assert not Article.objects.exists()


def test_author_submits_and_knowledge_managers_are_asked_to_review(article_factory, agent, knowledge_manager):
    article = article_factory()
    services.perform_action(article, by=agent, action="submit")
    article.refresh_from_db()
    assert article.state == "review"
    event = ArticleEvent.objects.filter(ticket=article, kind="state_change").get()
    assert event.data["state"] == ["draft", "review"] and event.author == agent
    note = Notification.objects.get(template="kb_review_requested")
    assert note.recipient == knowledge_manager and note.thread == article.number


def test_other_agent_cannot_submit_someone_elses_draft(article_factory, other_group_agent):
    article = article_factory()
    with pytest.raises(PermissionDenied):
        services.perform_action(article, by=other_group_agent, action="submit")
    article.refresh_from_db()
    assert article.state == "draft"


@pytest.mark.parametrize("action", ["publish", "reject"])
def test_only_knowledge_managers_publish_or_reject(article_factory, agent, action):
    article = article_factory(state="review")
    with pytest.raises(PermissionDenied):
        services.perform_action(article, by=agent, action=action, reason="no")
    article.refresh_from_db()
    assert article.state == "review"


def test_draft_cannot_be_published_without_review(article_factory, knowledge_manager):
    article = article_factory()
    with pytest.raises(ValidationError):
        services.perform_action(article, by=knowledge_manager, action="publish")
    article.refresh_from_db()
    assert article.state == "draft" and not ArticleVersion.objects.exists()


def test_publish_creates_version_1_and_tells_the_author(article_factory, agent, knowledge_manager, settings):
    settings.KB_REVIEW_INTERVAL_DAYS = 180
    article = article_factory(state="review")
    services.perform_action(article, by=knowledge_manager, action="publish")
    article.refresh_from_db()
    assert article.state == "published" and article.version == 1 and article.published_at
    assert (article.review_by - article.published_at.date()).days in (179, 180, 181)
    version = ArticleVersion.objects.get(article=article)
    assert (version.number, version.title, version.published_by, version.written_by) == (
        1,
        article.title,
        knowledge_manager,
        agent,
    )
    assert Notification.objects.filter(template="kb_published", recipient=agent).count() == 1


def test_reject_needs_a_reason_and_sends_it_to_the_author(article_factory, agent, knowledge_manager):
    article = article_factory(state="review")
    with pytest.raises(ValidationError) as error:
        services.perform_action(article, by=knowledge_manager, action="reject", reason="  ")
    assert "reason" in error.value.message_dict
    services.perform_action(article, by=knowledge_manager, action="reject", reason="Add screenshots.")
    article.refresh_from_db()
    assert article.state == "draft"
    note = Notification.objects.get(template="kb_rejected")
    assert note.recipient == agent and note.context["reason"] == "Add screenshots."


def test_retire_is_for_knowledge_managers_and_only_from_published(article_factory, agent, knowledge_manager):
    article = article_factory(state="published")
    with pytest.raises(PermissionDenied):
        services.perform_action(article, by=agent, action="retire")
    services.perform_action(article, by=knowledge_manager, action="retire", reason="Replaced.")
    article.refresh_from_db()
    assert article.state == "retired" and article.retired_at
    with pytest.raises(ValidationError):
        services.perform_action(article, by=knowledge_manager, action="retire")
    with pytest.raises(ValidationError):
        services.edit_article(article, by=knowledge_manager, changes={"title": "A new title"})


def test_confirm_review_moves_the_review_date(article_factory, agent, other_group_agent):
    from datetime import timedelta

    from django.utils import timezone

    article = article_factory(state="published")
    Article.objects.filter(pk=article.pk).update(review_by=timezone.localdate() - timedelta(days=1))
    article.refresh_from_db()
    assert article.is_due_for_review
    with pytest.raises(PermissionDenied):
        services.confirm_review(article, by=other_group_agent)
    services.confirm_review(article, by=agent, next_review=timezone.localdate() + timedelta(days=90))
    article.refresh_from_db()
    assert article.review_by == timezone.localdate() + timedelta(days=90) and not article.is_due_for_review
    assert ArticleEvent.objects.filter(ticket=article, data__changed=["review_by"]).exists()


def test_stale_edit_is_refused(article_factory, agent):
    article = article_factory()
    seen = article.lock_version
    services.edit_article(
        article, by=agent, changes={"title": "First change wins"}, expected_lock_version=seen
    )
    with pytest.raises(services.StaleEdit):
        services.edit_article(
            article, by=agent, changes={"title": "Second change loses"}, expected_lock_version=seen
        )
    article.refresh_from_db()
    assert article.title == "First change wins"


def test_only_editors_change_a_drafts_text(article_factory, other_group_agent):
    article = article_factory()
    with pytest.raises(PermissionDenied):
        services.edit_article(article, by=other_group_agent, changes={"body": "Vandalised"})
    article.refresh_from_db()
    assert "Vandalised" not in article.body


def test_widening_a_published_articles_audience_needs_a_knowledge_manager(
    article_factory, agent, knowledge_manager
):
    article = article_factory(state="published", audience="agents")
    with pytest.raises(PermissionDenied):
        services.edit_article(article, by=agent, changes={"audience": "everyone"})
    services.edit_article(article, by=knowledge_manager, changes={"audience": "everyone"})
    article.refresh_from_db()
    assert article.audience == "everyone"


def test_draft_edits_are_on_the_timeline(article_factory, agent):
    article = article_factory(title="Old title for the draft")
    services.edit_article(article, by=agent, changes={"title": "New title for the draft", "body": "New body"})
    event = ArticleEvent.objects.filter(ticket=article, kind="field_change").get()
    assert event.data["changed"] == ["body", "title"]
    assert event.data["fields"]["title"] == ["Old title for the draft", "New title for the draft"]
