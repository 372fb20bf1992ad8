"""Django admin: lifecycle actions and metadata edits go through the services."""

import pytest

from knowledge.models import ArticleEvent

pytestmark = pytest.mark.django_db


def test_admin_publish_action_uses_the_lifecycle(client, admin, article_factory):
    waiting = article_factory(state="review", title="Waiting for a reviewer")
    draft = article_factory(title="Still a draft")
    client.force_login(admin)
    response = client.post(
        "/admin/knowledge/article/",
        {"action": "publish_articles", "_selected_action": [waiting.pk, draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    waiting.refresh_from_db()
    draft.refresh_from_db()
    assert (waiting.state, waiting.version) == ("published", 1)
    assert draft.state == "draft"  # refused with a message: drafts are not published without review
    html = response.content.decode()
    assert f"{draft.number}: “Publish” is not possible for an article that is draft." in html
    assert "1 article(s) updated." in html


def test_admin_metadata_edit_is_recorded(client, admin, published, category_tree):
    client.force_login(admin)
    page = client.get(f"/admin/knowledge/article/{published.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/knowledge/article/{published.pk}/change/",
        {
            "language": "en",
            "audience": "agents",
            "category": category_tree["PC"].pk,
            "owner": published.owner_id,
            "review_by": "",
            "tags": [t.pk for t in published.tags.all()],
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": published.versions.get().pk,
            "versions-0-article": published.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    published.refresh_from_db()
    assert published.audience == "agents" and published.category == category_tree["PC"]
    event = ArticleEvent.objects.filter(ticket=published, kind="field_change").latest("id")
    assert set(event.data["changed"]) >= {"audience", "category"}
