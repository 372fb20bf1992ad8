"""The major-incident API: actions, roles (403), field errors (400), list scope and query count."""

import pytest

from incidents.choices import MajorState
from incidents.models import MajorIncident
from tests.incidents.factories import make_incident
from tests.incidents.major_support import (  # noqa: F401 (fast_passwords is a fixture)
    accepted_major,
    fast_passwords,
    outbox,
    three_level_policy,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

BASE = "/api/v1/major-incidents/"


def test_propose_accept_update_acknowledge_through_the_api(
    as_user, desk, end_user, agent, other_group_agent, incident_manager
):
    three_level_policy(agent, other_group_agent)
    incident = make_incident(end_user)
    response = as_user(agent).post(f"{BASE}{incident.number}/propose/", {"reason": "All printers down"})
    assert response.status_code == 200, response.json()
    assert response.json()["major_state"] == "proposed" and response.json()["is_major"] is False
    response = as_user(incident_manager).post(
        f"{BASE}{incident.number}/accept/", {"cadence_minutes": 20, "public_title": "Printing outage"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["major_state"] == "accepted" and body["is_major"] is True
    assert body["owner"]["display"] == "Incident Manager" and body["cadence_minutes"] == 20
    assert body["escalation"] == {
        "policy": "Default",
        "level": 1,
        "levels": 3,
        "acknowledged": False,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }
    response = as_user(incident_manager).post(
        f"{BASE}{incident.number}/updates/", {"body": "Vendor on site.", "visibility": "public"}
    )
    assert response.status_code == 201 and response.json()["recipient_count"] == 1
    assert as_user(agent).get(f"{BASE}{incident.number}/updates/").json()[0]["body"] == "Vendor on site."
    assert as_user(other_group_agent).post(f"{BASE}{incident.number}/acknowledge/").status_code == 403
    response = as_user(agent).post(f"{BASE}{incident.number}/acknowledge/")
    assert (
        response.status_code == 200 and response.json()["escalation"]["acknowledged_by"]["display"] == "Agent"
    )
    incident.refresh_from_db()
    assert incident.major_state == MajorState.ACCEPTED
    assert outbox("major_status_update").get().address == "end_user@example.com"


def test_agent_gets_403_on_accept_reject_declare_and_nothing_changes(as_user, desk, end_user, agent):
    incident = make_incident(end_user)
    as_user(agent).post(f"{BASE}{incident.number}/propose/", {"reason": "Big"})
    for action, data in [("accept", {}), ("reject", {"reason": "no"}), ("declare", {"reason": "x"})]:
        assert as_user(agent).post(f"{BASE}{incident.number}/{action}/", data).status_code == 403
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED


def test_rejected_then_proposed_again_through_the_api(as_user, desk, end_user, agent, incident_manager):
    incident = make_incident(end_user)
    as_user(agent).post(f"{BASE}{incident.number}/propose/", {"reason": "Big"})
    response = as_user(incident_manager).post(f"{BASE}{incident.number}/reject/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()
    response = as_user(incident_manager).post(f"{BASE}{incident.number}/reject/", {"reason": "One user only"})
    assert response.json()["major_state"] == "rejected"
    response = as_user(agent).post(f"{BASE}{incident.number}/propose/", {"reason": "Now fifty users"})
    assert response.status_code == 200 and response.json()["major_state"] == "proposed"


def test_bad_input_is_400_naming_the_field(as_user, desk, end_user, agent, incident_manager):
    incident = make_incident(end_user)
    response = as_user(incident_manager).post(
        f"{BASE}{incident.number}/declare/", {"reason": "Outage", "cadence_minutes": 0}
    )
    assert response.status_code == 400 and "cadence_minutes" in response.json()
    response = as_user(incident_manager).post(
        f"{BASE}{incident.number}/declare/", {"reason": "Outage", "owner": agent.pk}
    )
    assert response.status_code == 400 and "owner" in response.json()
    response = as_user(agent).post(f"{BASE}{incident.number}/propose/", {})
    assert response.status_code == 400 and "reason" in response.json()
    assert not MajorIncident.objects.filter(incident__major_state=MajorState.ACCEPTED).exists()
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    response = as_user(agent).post(
        f"{BASE}{record.incident.number}/stakeholders/", {"address": "a@example.com", "user": agent.pk}
    )
    assert response.status_code == 400
    response = as_user(agent).post(
        f"{BASE}{record.incident.number}/updates/", {"body": "x", "visibility": "secret"}
    )
    assert response.status_code == 400 and "visibility" in response.json()
    assert as_user(agent).post(f"{BASE}INC0000000/propose/", {"reason": "x"}).status_code == 404


def test_stakeholders_and_resolve_with_children(
    as_user, desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    child = make_incident(other_end_user, parent=record.incident)
    response = as_user(incident_manager).post(
        f"{BASE}{record.incident.number}/stakeholders/", {"address": "CIO@example.com"}
    )
    assert response.status_code == 201 and response.json()["display"] == "cio@example.com"
    assert [
        h["display"] for h in as_user(agent).get(f"{BASE}{record.incident.number}/stakeholders/").json()
    ] == ["cio@example.com"]
    response = as_user(incident_manager).post(
        f"{BASE}{record.incident.number}/resolve/",
        {"resolution_code": "solution_provided", "resolution_notes": "Fixed"},
    )
    assert response.status_code == 200 and response.json() == {"resolved_children": [child.number]}
    detail = as_user(agent).get(f"{BASE}{record.incident.number}/").json()
    assert detail["major_state"] == "resolved" and detail["child_count"] == 1


def test_end_users_cannot_use_the_api(as_user, desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    client = as_user(end_user)
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}{record.incident.number}/").status_code == 403
    assert client.post(f"{BASE}{record.incident.number}/updates/", {"body": "x"}).status_code == 403


def test_list_holds_active_majors_only_in_constant_queries(
    as_user, desk, end_user, other_end_user, agent, incident_manager, django_assert_max_num_queries
):
    first = accepted_major(end_user, proposer=agent, manager=incident_manager)
    make_incident(other_end_user, parent=first.incident)
    proposed = make_incident(end_user)
    as_user(agent).post(f"{BASE}{proposed.number}/propose/", {"reason": "x"})
    client = as_user(agent)
    with django_assert_max_num_queries(12) as one:
        body = client.get(BASE).json()
    assert [row["number"] for row in body["results"]] == [first.incident.number]
    assert body["results"][0]["child_count"] == 1 and body["results"][0]["affected_count"] == 2
    for _ in range(4):
        accepted_major(other_end_user, proposer=agent, manager=incident_manager)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(BASE).json()
    assert len(body["results"]) == 5
