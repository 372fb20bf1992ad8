"""Issue 12: only the caller (or an agent on the caller's behalf) accepts or rejects a resolution.

A colleague of a ticket-sharing organisation may follow the caller's incident, but could close
or reopen it through the API (200) while the portal refused. The rule is in the service functions,
so every entry point shares it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incidents import services
from incidents.choices import State
from incidents.models import IncidentTimelineEntry
from tests.conftest import api_as, make_user
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(organization):
    organization.share_tickets = True
    organization.save(update_fields=["share_tickets"])
    return make_user("colleague", organization=organization)


@pytest.fixture
def resolved(end_user, agent):
    incident = make_incident(end_user)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Toner replaced."
    )
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    return incident


def test_colleague_cannot_accept_through_the_service(resolved, colleague):
    with pytest.raises(PermissionDenied, match="Only the caller can accept the resolution."):
        services.accept_resolution(resolved, by=colleague)
    with pytest.raises(PermissionDenied, match="Only the caller can reject the resolution."):
        services.reject_resolution(resolved, by=colleague, reason="Still broken")
    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED and resolved.reopen_count == 0


def test_colleague_cannot_accept_through_the_api(resolved, colleague):
    client = api_as(colleague)
    url = f"/api/v1/incidents/{resolved.number}/"
    assert client.get(url).status_code == 200  # the shared ticket is visible to the colleague
    entries = IncidentTimelineEntry.objects.filter(ticket=resolved).count()

    response = client.post(url + "accept/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the caller can accept the resolution."}

    response = client.post(url + "reject/", {"reason": "Still broken"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the caller can reject the resolution."}

    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED and resolved.reopen_count == 0
    assert IncidentTimelineEntry.objects.filter(ticket=resolved).count() == entries


def test_other_organisations_user_gets_404_through_the_api(resolved, other_end_user):
    response = api_as(other_end_user).post(f"/api/v1/incidents/{resolved.number}/accept/", {}, format="json")
    assert response.status_code == 404
    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED


def test_colleague_is_refused_in_the_portal_too(client, resolved, colleague):
    client.force_login(colleague)
    assert client.post(reverse("incidents:portal-accept", args=[resolved.number])).status_code == 403
    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED


def test_caller_accepts_and_rejects_through_the_api(resolved, end_user, agent):
    client = api_as(end_user)
    response = client.post(
        f"/api/v1/incidents/{resolved.number}/reject/", {"reason": "Still blank pages"}, format="json"
    )
    assert response.status_code == 200
    resolved.refresh_from_db()
    assert resolved.state == State.IN_PROGRESS and resolved.reopen_count == 1
    services.resolve_incident(
        resolved, by=agent, resolution_code="solution_provided", resolution_notes="Drum replaced."
    )
    response = client.post(f"/api/v1/incidents/{resolved.number}/accept/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == State.CLOSED


def test_agent_accepts_on_the_callers_behalf(resolved, agent):
    response = api_as(agent).post(f"/api/v1/incidents/{resolved.number}/accept/", {}, format="json")
    assert response.status_code == 200
    resolved.refresh_from_db()
    assert resolved.state == State.CLOSED
