"""seed_demo adds ~50 English and Swedish articles in every state, and running it again adds nothing."""

import io

import pytest
from django.core.management import call_command

from knowledge.models import Article, ArticleRevision, ArticleVersion, ArticleView

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_realistic_knowledge_base():
    call_command("seed_demo", stdout=io.StringIO())
    articles = Article.objects.all()
    assert 45 <= articles.count() <= 60
    assert set(articles.values_list("state", flat=True)) == {"draft", "review", "published", "retired"}
    assert set(articles.values_list("language", flat=True)) == {"en", "sv"}
    assert set(articles.values_list("audience", flat=True)) == {"everyone", "agents"}
    assert ArticleVersion.objects.filter(number=2).count() >= 3
    assert ArticleRevision.objects.exists()
    assert articles.due_for_review().exists()
    assert ArticleView.objects.filter(source="report_form").exists()
    assert all(a.body_html for a in articles)
    count, versions = articles.count(), ArticleVersion.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Article.objects.count() == count and ArticleVersion.objects.count() == versions
