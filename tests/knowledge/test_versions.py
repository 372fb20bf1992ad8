"""Editing a published article: a revision, reviewed, published as version 2; version 1 stays readable."""

import pytest
from django.core.exceptions import PermissionDenied

from knowledge import services
from knowledge.models import Article, ArticleRevision, ArticleVersion

pytestmark = pytest.mark.django_db

V1 = "1. Restart the computer."
V2 = "1. Restart the computer.\n2. Remove and add the printer again."


@pytest.fixture
def v1(article_factory):
    return article_factory(state="published", body=V1)


def test_editing_a_published_article_keeps_readers_on_version_1(v1, other_group_agent):
    result = services.edit_article(
        v1, by=other_group_agent, changes={"body": V2, "change_note": "Add a step"}
    )
    v1.refresh_from_db()
    assert v1.state == "published" and v1.version == 1 and v1.body == V1
    revision = ArticleRevision.objects.get(article=v1)
    assert result.revision == revision
    assert (revision.body, revision.author, revision.state, revision.based_on_version) == (
        V2,
        other_group_agent,
        "draft",
        1,
    )


def test_publishing_the_revision_creates_version_2_and_keeps_version_1(v1, agent, knowledge_manager):
    services.edit_article(v1, by=agent, changes={"body": V2, "change_note": "Add a step"})
    services.perform_action(v1, by=agent, action="submit")
    assert ArticleRevision.objects.get(article=v1).state == "review"
    services.perform_action(v1, by=knowledge_manager, action="publish")
    v1.refresh_from_db()
    assert v1.version == 2 and v1.body == V2 and "Remove and add" in v1.body_html
    assert not ArticleRevision.objects.filter(article=v1).exists()
    versions = {v.number: v for v in ArticleVersion.objects.filter(article=v1)}
    assert versions[1].body == V1 and versions[2].body == V2
    assert versions[2].change_note == "Add a step"
    assert versions[2].written_by == agent and versions[2].published_by == knowledge_manager


def test_version_1_is_readable_with_who_and_when_and_the_diff_is_shown(v1, agent, knowledge_manager, client):
    services.edit_article(v1, by=agent, changes={"body": V2})
    services.perform_action(v1, by=agent, action="submit")
    services.perform_action(v1, by=knowledge_manager, action="publish")
    client.force_login(agent)
    page = client.get(f"/agent/kb/{v1.number}/versions/1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Restart the computer." in html and "Remove and add" not in html
    assert "Earlier version" in html and "Knowledge Manager" in html
    diff = client.get(f"/agent/kb/{v1.number}/diff/?from=1&to=2").content.decode()
    assert '<tr class="insert">' in diff and "Remove and add the printer again." in diff


def test_versions_through_the_api(v1, agent, knowledge_manager, as_user, end_user):
    services.edit_article(v1, by=agent, changes={"body": V2})
    services.perform_action(v1, by=agent, action="submit")
    services.perform_action(v1, by=knowledge_manager, action="publish")
    # The version history is for agents (issue 12: end users saw it through the API only).
    assert as_user(end_user).get(f"/api/v1/kb/articles/{v1.number}/versions/").status_code == 403
    response = as_user(agent).get(f"/api/v1/kb/articles/{v1.number}/versions/")
    assert response.status_code == 200
    assert [(v["number"], v["published_by"]["username"]) for v in response.json()] == [
        (2, "knowledge_manager"),
        (1, "knowledge_manager"),
    ]


def test_rejected_revision_goes_back_to_its_author(v1, other_group_agent, knowledge_manager):
    services.edit_article(v1, by=other_group_agent, changes={"body": V2})
    services.perform_action(v1, by=other_group_agent, action="submit")
    services.perform_action(v1, by=knowledge_manager, action="reject", reason="Step 2 is wrong.")
    revision = ArticleRevision.objects.get(article=v1)
    assert revision.state == "draft"
    v1.refresh_from_db()
    assert v1.version == 1 and v1.state == "published"


def test_an_open_revision_belongs_to_its_author(v1, other_group_agent, incident_manager):
    services.edit_article(v1, by=other_group_agent, changes={"body": V2})
    with pytest.raises(PermissionDenied):
        services.edit_article(v1, by=incident_manager, changes={"body": "Mine instead"})
    assert ArticleRevision.objects.get(article=v1).body == V2


def test_discarding_a_revision(v1, other_group_agent, agent):
    services.edit_article(v1, by=other_group_agent, changes={"body": V2})
    services.discard_revision(v1, by=agent)  # the article's author may discard it
    assert not ArticleRevision.objects.exists()
    assert Article.objects.get(pk=v1.pk).body == V1
