"""/api/v1/kb/articles/: list, search, detail, create, update with If-Match, lifecycle actions, feedback."""

import pytest

from knowledge.models import Article, ArticleRevision

pytestmark = pytest.mark.django_db


def test_list_is_paginated_with_a_constant_number_of_queries(
    as_user, agent, article_factory, category_tree, django_assert_max_num_queries
):
    for index in range(12):
        article_factory(
            state="published", title=f"Article {index:02d}", category=category_tree["PC"], tags=["a", "b"]
        )
    client = as_user(agent)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/kb/articles/?page_size=5")
    body = response.json()
    assert response.status_code == 200 and len(body["results"]) == 5 and body["next"]
    first = body["results"][0]
    assert first["category"] == {"id": category_tree["PC"].pk, "display": "Hardware > PC"}
    assert first["tags"] == ["a", "b"] and first["url"].endswith(f"/api/v1/kb/articles/{first['number']}/")
    with django_assert_max_num_queries(8):
        client.get("/api/v1/kb/articles/?page_size=12")


def test_search_returns_ranked_results_with_snippets(as_user, end_user, published, article_factory):
    article_factory(state="published", title="Set an automatic reply", body="Outlook, File.", summary="Away.")
    response = as_user(end_user).get("/api/v1/kb/articles/?search=printer+offline")
    results = response.json()["results"]
    assert [r["number"] for r in results] == [published.number]
    assert results[0]["rank"] > 0 and "<mark>" in results[0]["snippet"]
    assert as_user(end_user).get("/api/v1/kb/articles/?search=x&limit=abc").status_code == 400


def test_filters(as_user, agent, published, article_factory, category_tree):
    article_factory(state="draft", title="Mail draft", category=category_tree["E-mail"])
    client = as_user(agent)
    numbers = [a["number"] for a in client.get("/api/v1/kb/articles/?state=published").json()["results"]]
    assert numbers == [published.number]
    numbers = [
        a["number"]
        for a in client.get(f"/api/v1/kb/articles/?category={category_tree['Hardware'].pk}").json()["results"]
    ]
    assert numbers == [published.number]
    assert client.get("/api/v1/kb/articles/?state=bogus").status_code == 400


def test_agent_creates_a_draft(as_user, agent, category_tree):
    response = as_user(agent).post(
        "/api/v1/kb/articles/",
        {
            "title": "Connect to the VPN",
            "body": "Click the globe.",
            "category": category_tree["PC"].pk,
            "tags": ["vpn"],
            "language": "en",
            "audience": "agents",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["number"].startswith("KB") and body["tags"] == ["vpn"]
    assert body["available_actions"] == ["submit"] and response["ETag"]
    article = Article.objects.get(number=body["number"])
    assert article.author == agent and article.audience == "agents"


def test_bad_input_names_the_field(as_user, agent):
    response = as_user(agent).post("/api/v1/kb/articles/", {"title": "abc", "language": "fi"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"title", "body", "language"}
    assert not Article.objects.exists()


def test_update_with_if_match_and_412_when_stale(as_user, agent, article_factory):
    article = article_factory()
    client = as_user(agent)
    etag = client.get(f"/api/v1/kb/articles/{article.number}/")["ETag"]
    response = client.patch(
        f"/api/v1/kb/articles/{article.number}/",
        {"title": "Updated title"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200 and response.json()["title"] == "Updated title"
    assert response["ETag"] != etag
    stale = client.patch(
        f"/api/v1/kb/articles/{article.number}/", {"title": "Lost update"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    article.refresh_from_db()
    assert article.title == "Updated title"


def test_update_of_a_published_article_creates_a_revision(as_user, other_group_agent, published):
    response = as_user(other_group_agent).patch(
        f"/api/v1/kb/articles/{published.number}/",
        {"body": "Better text", "change_note": "why"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["revision"]["state"] == "draft"
    assert response.json()["body"] == published.body
    assert ArticleRevision.objects.get(article=published).body == "Better text"


def test_lifecycle_actions(as_user, agent, knowledge_manager, article_factory):
    article = article_factory()
    assert as_user(agent).post(f"/api/v1/kb/articles/{article.number}/submit/").json()["state"] == "review"
    assert as_user(agent).post(f"/api/v1/kb/articles/{article.number}/publish/").status_code == 403
    rejected = as_user(knowledge_manager).post(
        f"/api/v1/kb/articles/{article.number}/reject/", {"reason": ""}
    )
    assert rejected.status_code == 400 and "reason" in rejected.json()
    published = as_user(knowledge_manager).post(f"/api/v1/kb/articles/{article.number}/publish/")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert published.json()["version"] == 1
    again = as_user(knowledge_manager).post(f"/api/v1/kb/articles/{article.number}/publish/")
    assert again.status_code == 400 and "non_field_errors" in again.json()


def test_feedback_through_the_api(as_user, end_user, published):
    response = as_user(end_user).post(
        f"/api/v1/kb/articles/{published.number}/feedback/",
        {"helpful": True, "comment": "Thanks"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["helpful"] is True
    published.refresh_from_db()
    assert published.helpful_count == 1
    assert as_user(end_user).post(f"/api/v1/kb/articles/{published.number}/feedback/", {}).status_code == 400
