"""Issue 12, "major-incident roles": status updates, external e-mail stakeholders and resolving a
major incident (with its children) belong to the incident manager role or the major incident's
owner; other agents propose, comment (work notes) and follow. Service, UI and API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incidents import major, services
from incidents.choices import MajorState, State
from incidents.major_rules import conduct_error
from incidents.models import MajorIncident, MajorStakeholder, MajorStatusUpdate
from tests.incidents.factories import make_incident
from tests.incidents.major_support import accepted_major, fast_passwords  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

BASE = "/api/v1/major-incidents/"
UPDATES_REFUSED = "Only an incident manager or the owner of this major incident can post status updates."
STAKEHOLDERS_REFUSED = (
    "Only an incident manager or the owner of this major incident can add or remove e-mail stakeholders."
)
RESOLVE_REFUSED = "Only an incident manager or the owner of this major incident can resolve it."


@pytest.fixture
def record(end_user, agent, incident_manager, other_end_user) -> MajorIncident:
    accepted = accepted_major(end_user, proposer=agent, manager=incident_manager)
    major.link_child(accepted.incident, by=agent, child=make_incident(other_end_user))
    return accepted


# --- the pure rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["status_update", "external_stakeholder", "resolve"])
def test_rule_lets_the_manager_role_and_the_owner_conduct(action):
    assert conduct_error(action, is_agent=True, is_manager=True, is_owner=False) is None
    assert conduct_error(action, is_agent=True, is_manager=False, is_owner=True) is None
    assert conduct_error(action, is_agent=True, is_manager=False, is_owner=False)
    assert conduct_error(action, is_agent=False, is_manager=False, is_owner=True)


def test_rule_refuses_unknown_actions():
    with pytest.raises(ValueError):
        conduct_error("delete", is_agent=True, is_manager=True, is_owner=True)


# --- service -------------------------------------------------------------------------------------


def test_agent_cannot_post_updates_add_addresses_or_resolve(record, agent):
    incident = record.incident
    for public in (True, False):
        with pytest.raises(PermissionDenied, match=UPDATES_REFUSED):
            major.post_status_update(incident, by=agent, body="We are on it.", public=public)
    with pytest.raises(PermissionDenied, match=STAKEHOLDERS_REFUSED):
        major.add_stakeholder(incident, by=agent, address="cfo@example.com")
    with pytest.raises(PermissionDenied, match=RESOLVE_REFUSED):
        major.resolve_major_with_children(
            incident, by=agent, resolution_code="solution_provided", resolution_notes="Fixed."
        )
    with pytest.raises(PermissionDenied, match=RESOLVE_REFUSED):
        services.resolve_incident(
            incident, by=agent, resolution_code="solution_provided", resolution_notes="Fixed."
        )
    with pytest.raises(PermissionDenied, match=RESOLVE_REFUSED):
        services.cancel_incident(incident, by=agent, reason="Not major.")
    incident.refresh_from_db()
    assert incident.state != State.RESOLVED and incident.major_state == MajorState.ACCEPTED
    assert not MajorStatusUpdate.objects.filter(major=record).exists()
    assert not record.stakeholders.filter(address="cfo@example.com").exists()
    assert incident.children.filter(state=State.RESOLVED).count() == 0


def test_agent_still_follows_comments_and_proposes(record, agent, end_user):
    holder = major.add_stakeholder(record.incident, by=agent, user=agent)
    assert holder.user == agent
    major.remove_stakeholder(holder, by=agent)
    services.add_comment(record.incident, by=agent, body="Checked the gateway logs.", public=False)
    other = make_incident(end_user)
    major.propose_major(other, by=agent, reason="The VPN is down for everyone.")
    other.refresh_from_db()
    assert other.major_state == MajorState.PROPOSED


def test_agent_cannot_remove_an_external_stakeholder(record, agent, incident_manager):
    holder = major.add_stakeholder(record.incident, by=incident_manager, address="cfo@example.com")
    with pytest.raises(PermissionDenied, match=STAKEHOLDERS_REFUSED):
        major.remove_stakeholder(holder, by=agent)
    assert MajorStakeholder.objects.filter(pk=holder.pk).exists()


def test_owner_without_the_manager_role_conducts(record, agent):
    MajorIncident.objects.filter(pk=record.pk).update(owner=agent)  # e.g. handed over in the admin
    update = major.post_status_update(record.incident, by=agent, body="Vendor on site.", public=True)
    assert update.posted_by == agent
    major.add_stakeholder(record.incident, by=agent, address="cfo@example.com")
    done = major.resolve_major_with_children(
        record.incident, by=agent, resolution_code="solution_provided", resolution_notes="Fixed."
    )
    assert len(done) == 1
    record.incident.refresh_from_db()
    assert record.incident.state == State.RESOLVED


def test_incident_manager_who_is_not_the_owner_conducts(record, service_desk_group):
    from core import roles
    from tests.conftest import make_user

    deputy = make_user("deputy", role_list=[roles.AGENT, roles.INCIDENT_MANAGER])
    major.post_status_update(record.incident, by=deputy, body="Deputy here.", public=False)
    assert MajorStatusUpdate.objects.filter(major=record, posted_by=deputy).exists()


def test_validation_errors_still_name_their_field_for_the_manager(record, incident_manager):
    with pytest.raises(ValidationError) as info:
        major.post_status_update(record.incident, by=incident_manager, body="  ", public=True)
    assert "body" in info.value.message_dict


# --- API -----------------------------------------------------------------------------------------


def test_api_refuses_an_agent_with_a_clear_403(as_user, record, agent):
    client = as_user(agent)
    number = record.incident.number
    response = client.post(f"{BASE}{number}/updates/", {"body": "x", "visibility": "public"}, format="json")
    assert response.status_code == 403 and response.json() == {"detail": UPDATES_REFUSED}
    response = client.post(f"{BASE}{number}/stakeholders/", {"address": "cfo@example.com"}, format="json")
    assert response.status_code == 403 and response.json() == {"detail": STAKEHOLDERS_REFUSED}
    response = client.post(
        f"{BASE}{number}/resolve/",
        {"resolution_code": "solution_provided", "resolution_notes": "Fixed"},
        format="json",
    )
    assert response.status_code == 403 and response.json() == {"detail": RESOLVE_REFUSED}
    response = client.patch(
        f"/api/v1/incidents/{number}/",
        {"state": "resolved", "resolution_code": "solution_provided", "resolution_notes": "Fixed"},
        format="json",
    )
    assert response.status_code == 403 and response.json() == {"detail": RESOLVE_REFUSED}
    response = client.post(f"{BASE}{number}/stakeholders/", {"user": agent.pk}, format="json")
    assert response.status_code == 201  # following is open to every agent
    record.incident.refresh_from_db()
    assert record.incident.major_state == MajorState.ACCEPTED
    assert not record.updates.exists()


def test_api_lets_the_incident_manager_conduct(as_user, record, incident_manager):
    client = as_user(incident_manager)
    number = record.incident.number
    response = client.post(f"{BASE}{number}/updates/", {"body": "x", "visibility": "public"}, format="json")
    assert response.status_code == 201
    response = client.post(f"{BASE}{number}/stakeholders/", {"address": "cfo@example.com"}, format="json")
    assert response.status_code == 201


# --- UI ------------------------------------------------------------------------------------------


def test_room_hides_the_conductors_controls_from_an_agent(client, record, agent, incident_manager):
    major.add_stakeholder(record.incident, by=incident_manager, address="cfo@example.com")
    client.force_login(agent)
    html = client.get(reverse("major:room", args=[record.incident.number])).content.decode()
    assert "Post status update" not in html
    assert "Resolve the major incident" not in html
    assert 'name="stakeholder-address"' not in html and 'name="stakeholder-user"' in html
    assert "/remove/" not in html  # the only stakeholder is an external address
    assert "posts status updates, adds e-mail stakeholders and resolves it" in html

    client.force_login(incident_manager)
    html = client.get(reverse("major:room", args=[record.incident.number])).content.decode()
    assert "Post status update" in html and "Resolve the major incident" in html
    assert 'name="stakeholder-address"' in html and "/remove/" in html


def test_room_refuses_a_forged_post_with_the_reason(client, record, agent):
    client.force_login(agent)
    response = client.post(
        reverse("major:post-update", args=[record.incident.number]),
        {"update-body": "We are on it.", "update-visibility": "public"},
    )
    assert response.status_code == 403
    assert UPDATES_REFUSED in response.content.decode()
    response = client.post(
        reverse("major:resolve", args=[record.incident.number]),
        {"resolve-resolution_code": "solution_provided", "resolve-resolution_notes": "Fixed."},
    )
    assert response.status_code == 403 and RESOLVE_REFUSED in response.content.decode()
    record.incident.refresh_from_db()
    assert record.incident.major_state == MajorState.ACCEPTED and not record.updates.exists()


def test_incident_page_offers_resolve_only_to_the_conductor(client, record, agent, incident_manager):
    url = reverse("incidents:agent-detail", args=[record.incident.number])
    client.force_login(agent)
    context = client.get(url).context
    assert {t["target"] for t in context["transitions"]}.isdisjoint({State.RESOLVED, State.CANCELLED})
    response = client.post(
        reverse("incidents:agent-transition", args=[record.incident.number]),
        {
            "target": State.RESOLVED,
            "resolution_code": "solution_provided",
            "resolution_notes": "Fixed.",
            "version": record.incident.version,
        },
    )
    assert response.status_code == 403 and RESOLVE_REFUSED in response.content.decode()
    record.incident.refresh_from_db()
    assert record.incident.state != State.RESOLVED

    client.force_login(incident_manager)
    assert State.RESOLVED in {t["target"] for t in client.get(url).context["transitions"]}


def test_bulk_resolve_skips_the_major_incident_with_the_reason(client, record, agent, end_user):
    other = make_incident(end_user)
    client.force_login(agent)
    response = client.post(
        reverse("incidents:agent-bulk"),
        {
            "numbers": [record.incident.number, other.number],
            "action": "state",
            "state": State.RESOLVED,
            "resolution_code": "solution_provided",
            "resolution_notes": "Fixed.",
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{record.incident.number}: {RESOLVE_REFUSED}" in page
    other.refresh_from_db()
    record.incident.refresh_from_db()
    assert other.state == State.RESOLVED and record.incident.state != State.RESOLVED
