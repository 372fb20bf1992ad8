"""The knowledge report: most viewed, least helpful, stale, and deflection computed from stored rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import reports, services
from knowledge.models import Article, ArticleView

pytestmark = pytest.mark.django_db


def _open_from_report_form(article, user, *, minutes_ago: float, visit: str):
    return ArticleView.objects.create(
        article=article,
        user=user,
        source="report_form",
        visit=visit,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_deflection_is_counted_when_the_window_has_passed_without_an_incident(
    published, article_factory, end_user, other_end_user, settings
):
    settings.KB_DEFLECTION_WINDOW_MINUTES = 30
    other = article_factory(state="published", title="Another helpful article")
    # end_user opened two suggestions in one visit an hour ago, and reported nothing: one deflection.
    _open_from_report_form(published, end_user, minutes_ago=65, visit="v1")
    _open_from_report_form(other, end_user, minutes_ago=60, visit="v1")
    # other_end_user opened one ten minutes ago: the window is still open.
    _open_from_report_form(published, other_end_user, minutes_ago=10, visit="v2")
    result = reports.deflection(since=timezone.now() - timedelta(days=1))
    assert (result.visits, result.deflected, result.converted, result.pending) == (2, 1, 0, 1)
    assert dict((a.number, n) for a, n in result.by_article) == {published.number: 1, other.number: 1}
    assert result.rate == 100


def test_report_figures(published, article_factory, end_user, other_end_user, agent, knowledge_manager):
    weak = article_factory(state="published", title="A weak article", summary="weak")
    for user in (end_user, other_end_user, agent):
        services.record_feedback(weak, by=user, helpful=False)
    services.record_feedback(published, by=end_user, helpful=True, comment="Spot on")
    services.record_view(published, by=end_user, source="portal")
    Article.objects.filter(pk=weak.pk).update(review_by=timezone.localdate() - timedelta(days=1))
    data = reports.knowledge_report(days=30)
    assert data["by_state"]["published"] == 2
    assert [a.pk for a in data["most_viewed"]] == [published.pk]
    assert [a.pk for a in data["least_helpful"]] == [weak.pk]
    assert [a.pk for a in data["stale"]] == [weak.pk]
    assert data["due_for_review"] == 1
    assert data["helpful_percent"] == 25
    assert [f.comment for f in data["comments"]] == ["Spot on"]


def test_report_query_count_is_constant(client, knowledge_manager, article_factory, end_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(knowledge_manager)
    first = article_factory(state="published", title="First of many")
    services.record_view(first, by=end_user, source="portal")
    with CaptureQueriesContext(connection) as few:
        client.get("/agent/kb/report/")
    for index in range(5):
        article = article_factory(state="published", title=f"More articles {index}")
        services.record_view(article, by=end_user, source="portal")
        _open_from_report_form(article, end_user, minutes_ago=100 + index, visit=f"v{index}")
    with CaptureQueriesContext(connection) as many:
        client.get("/agent/kb/report/")
    assert len(many) <= len(few) + 2  # + the deflection's incident and article look-ups
