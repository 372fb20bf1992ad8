"""Articles on incidents: attach, send to the caller, resolve "with article KB…", solved counts."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services as incident_services
from incidents.choices import State
from knowledge import services
from knowledge.models import Article, ArticleIncidentLink
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(desk, end_user, category_tree):
    return make_incident(
        end_user, short_description="My printer says offline", category=category_tree["Printer"]
    )


def test_attach_records_the_link_and_an_internal_note(published, incident, agent):
    link = services.attach_to_incident(published, incident, by=agent)
    assert (link.kind, link.linked_by) == ("attached", agent)
    note = incident.timeline.get(kind="work_note")
    assert published.number in note.body and not note.is_public
    services.attach_to_incident(published, incident, by=agent)  # idempotent
    assert (
        ArticleIncidentLink.objects.count() == 1 and incident.timeline.filter(kind="work_note").count() == 1
    )


def test_send_to_caller_is_a_public_comment_with_the_portal_link(published, incident, agent):
    link = services.send_to_caller(published, incident, by=agent)
    assert link.kind == "sent" and link.sent_by == agent
    comment = incident.timeline.get(kind="comment")
    assert comment.is_public and published.number in comment.body
    assert f"/portal/kb/{published.number}/" in comment.body


def test_agent_only_articles_are_never_sent_to_callers(article_factory, incident, agent):
    internal = article_factory(state="published", audience="agents", title="Internal procedure")
    with pytest.raises(ValidationError):
        services.send_to_caller(internal, incident, by=agent)
    assert not incident.timeline.filter(kind="comment").exists()


def test_resolve_with_article_resolves_and_counts_the_solve(published, incident, agent):
    services.resolve_with_article(published, incident, by=agent, notes="Cleared the offline flag.")
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED and incident.resolution_code == "solution_provided"
    assert f"Resolved with knowledge article {published.number}" in incident.resolution_notes
    assert "Cleared the offline flag." in incident.resolution_notes
    published.refresh_from_db()
    assert published.solved_count == 1
    assert ArticleIncidentLink.objects.get().kind == "solved"


def test_reopening_takes_the_solve_back_and_resolving_again_counts_again(
    published, incident, agent, end_user
):
    services.resolve_with_article(published, incident, by=agent)
    incident_services.reject_resolution(incident, by=end_user, reason="Still offline")
    published.refresh_from_db()
    assert published.solved_count == 0 and ArticleIncidentLink.objects.get().solved_at is None
    services.resolve_with_article(published, incident, by=agent)
    published.refresh_from_db()
    assert published.solved_count == 1


def test_cannot_resolve_a_resolved_incident_twice(published, incident, agent):
    services.resolve_with_article(published, incident, by=agent)
    with pytest.raises(ValidationError):
        services.resolve_with_article(published, incident, by=agent)
    assert Article.objects.get(pk=published.pk).solved_count == 1


def test_drafts_cannot_be_used_on_incidents(article_factory, incident, agent):
    draft = article_factory()
    with pytest.raises(ValidationError):
        services.attach_to_incident(draft, incident, by=agent)


def test_ui_actions_from_the_suggestions(client, agent, published, incident):
    client.force_login(agent)
    html = client.get(
        f"/agent/kb/suggest/?q={incident.short_description}&category={incident.category_id}&incident={incident.number}"
    ).content.decode()
    assert published.title in html and f"/agent/kb/{published.number}/incident/resolve/" in html
    response = client.post(f"/agent/kb/{published.number}/incident/send/", {"incident": incident.number})
    assert response.status_code == 302 and response["Location"] == f"/agent/incidents/{incident.number}/"
    response = client.post(f"/agent/kb/{published.number}/incident/resolve/", {"incident": incident.number})
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    assert (
        client.post(f"/agent/kb/{published.number}/incident/resolve/", {"incident": "INC9999999"}).status_code
        == 302
    )
    detail = client.get(f"/agent/kb/{published.number}/").content.decode()
    assert incident.number in detail and "Resolved with article" in detail


def test_incident_panel_is_registered_for_the_incident_page(rf, agent, published, incident):
    from core.panels import render_panels

    services.attach_to_incident(published, incident, by=agent)
    request = rf.get("/")
    request.user = agent
    html = "".join(render_panels("incident-agent-side", request, incident))
    assert published.number in html and "/agent/kb/suggest/?" in html and incident.number in html


def test_api_resolve_incident(as_user, agent, published, incident, end_user):
    response = as_user(agent).post(
        f"/api/v1/kb/articles/{published.number}/resolve-incident/",
        {"incident": incident.number},
        format="json",
    )
    assert response.status_code == 200 and response.json()["kind"] == "solved"
    assert (
        as_user(end_user)
        .post(f"/api/v1/kb/articles/{published.number}/attach/", {"incident": incident.number}, format="json")
        .status_code
        == 403
    )
    bad = as_user(agent).post(
        f"/api/v1/kb/articles/{published.number}/attach/", {"incident": "INC0"}, format="json"
    )
    assert bad.status_code == 400 and "incident" in bad.json()


def test_deflection_is_not_counted_when_the_user_reports_anyway(published, end_user, desk, settings):
    from datetime import timedelta

    from django.utils import timezone

    from knowledge import reports
    from knowledge.models import ArticleView

    settings.KB_DEFLECTION_WINDOW_MINUTES = 30
    ArticleView.objects.create(
        article=published,
        user=end_user,
        source="report_form",
        visit="v1",
        created_at=timezone.now() - timedelta(minutes=50),
    )
    make_incident(end_user)  # created now: outside the window, does not convert the visit
    assert reports.deflection(since=timezone.now() - timedelta(days=1)).deflected == 1
    ArticleView.objects.create(
        article=published,
        user=end_user,
        source="report_form",
        visit="v2",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    result = reports.deflection(since=timezone.now() - timedelta(days=1))
    assert (result.deflected, result.converted, result.pending) == (1, 1, 0)
