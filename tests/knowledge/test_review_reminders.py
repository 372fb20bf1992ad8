"""Owners are reminded once per review date; the sweep is idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import services, tasks
from knowledge.models import Article, ArticleEvent
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_owner_is_reminded_once_per_review_date(published, agent):
    Article.objects.filter(pk=published.pk).update(review_by=timezone.localdate() - timedelta(days=2))
    assert tasks.remind_review_due() == 1
    assert tasks.remind_review_due() == 0
    note = Notification.objects.get(template="kb_review_due")
    assert note.recipient == agent and note.context["number"] == published.number
    assert ArticleEvent.objects.filter(ticket=published, body__startswith="Review due").count() == 1
    # A confirmed review sets a new date; when that one comes, there is a new reminder.
    services.confirm_review(published, by=agent, next_review=timezone.localdate() + timedelta(days=5))
    assert services.remind_review_due(today=timezone.localdate() + timedelta(days=6)) == 1


def test_nothing_due_costs_nothing(published, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert services.remind_review_due() == 0


def test_due_articles_are_listed_for_their_owner(client, agent, published):
    Article.objects.filter(pk=published.pk).update(review_by=timezone.localdate())
    client.force_login(agent)
    html = client.get("/agent/kb/review/").content.decode()
    assert "Your articles due for review" in html and published.title in html
