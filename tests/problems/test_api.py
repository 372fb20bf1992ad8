"""The problems API: agents only, number lookup, CRUD through the services, ETag/If-Match, actions
(link, unlink, transition, resolve with cascade, known error), tasks, candidates, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.choices import State as IncidentState
from notifications.models import Notification
from problems import services
from problems.choices import CandidateStatus, State
from problems.models import Problem, ProblemCandidate, ProblemIncident
from tests.incidents.factories import make_incident
from tests.problems.conftest import make_problem
from tests.problems.test_services import walk_to_fix

pytestmark = pytest.mark.django_db

BASE = "/api/v1/problems/"


@pytest.fixture
def api(as_user, agent):
    return as_user(agent)


@pytest.fixture
def incident(desk, end_user):
    return make_incident(end_user, short_description="Mail stuck in outbox")


def test_end_users_get_403_everywhere(as_user, end_user, agent):
    problem = make_problem(agent)
    client = as_user(end_user)
    for url in [BASE, f"{BASE}{problem.number}/", f"{BASE}candidates/", "/api/v1/problem-tasks/"]:
        assert client.get(url).status_code == 403, url
    assert client.post(BASE, {"short_description": "x"}, format="json").status_code == 403
    assert client.post(f"{BASE}{problem.number}/link/", {"incidents": []}, format="json").status_code == 403
    assert Problem.objects.count() == 1


def test_anonymous_gets_401(api_client):
    assert api_client.get(BASE).status_code == 401


def test_list_query_count_does_not_grow_with_rows(api, agent, incident):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(BASE)
            assert response.status_code == 200
        return len(ctx), len(response.json()["results"])

    problem = make_problem(agent)
    services.link_incidents(problem, by=agent, incidents=[incident])
    few, rows = count()
    for index in range(12):
        make_problem(agent, short_description=f"P{index}")
    many, more_rows = count()
    assert more_rows == rows + 12 and many == few


def test_read_by_number_with_etag(api, agent, incident):
    problem = make_problem(agent)
    services.link_incidents(problem, by=agent, incidents=[incident])
    response = api.get(f"{BASE}{problem.number}/")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == problem.number and body["incident_count"] == 1
    assert body["state"] == "new" and body["state_display"] == "New"
    assert response["ETag"] == problem.etag
    assert api.get(f"{BASE}PRB9999999/").status_code == 404


def test_create_with_incidents_and_assignment(api, agent, service_desk_group, incident):
    response = api.post(
        BASE,
        {
            "short_description": "Outbox stuck",
            "impact": 1,
            "urgency": 2,
            "assignment_group": service_desk_group.pk,
            "assigned_to": agent.pk,
            "incidents": [incident.number],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["priority"] == 2 and body["state"] == "assess" and body["incident_count"] == 1
    problem = Problem.objects.get(number=body["number"])
    assert problem.incident_links.get().incident == incident


def test_create_with_bad_input_names_the_field(api):
    response = api.post(
        BASE, {"short_description": "", "impact": 7, "incidents": ["INC0999999"]}, format="json"
    )
    assert response.status_code == 400
    assert {"short_description", "impact", "incidents"} <= set(response.json())
    assert not Problem.objects.exists()


def test_state_cannot_be_patched_directly(api, agent):
    problem = make_problem(agent)
    response = api.patch(f"{BASE}{problem.number}/", {"state": "closed", "root_cause": "Cert"}, format="json")
    assert response.status_code == 200
    problem.refresh_from_db()
    assert problem.state == State.NEW and problem.root_cause == "Cert"


def test_patch_with_stale_if_match_is_412(api, agent):
    problem = make_problem(agent)
    etag = problem.etag
    services.update_problem(problem, by=agent, changes={"description": "someone else"})
    response = api.patch(
        f"{BASE}{problem.number}/", {"description": "mine"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    problem.refresh_from_db()
    assert problem.description == "someone else"
    fresh = api.get(f"{BASE}{problem.number}/")["ETag"]
    ok = api.patch(f"{BASE}{problem.number}/", {"description": "mine"}, format="json", HTTP_IF_MATCH=fresh)
    assert ok.status_code == 200 and ok.json()["description"] == "mine"


def test_patch_assignment(api, agent, service_desk_group):
    problem = make_problem(agent)
    response = api.patch(
        f"{BASE}{problem.number}/",
        {"assignment_group": service_desk_group.pk, "assigned_to": agent.pk},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["assigned_to_ref"]["username"] == "agent"


def test_delete_is_not_allowed(api, agent):
    problem = make_problem(agent)
    assert api.delete(f"{BASE}{problem.number}/").status_code == 405
    assert Problem.objects.filter(pk=problem.pk).exists()


def test_transition_action_and_field_errors(api, agent):
    problem = make_problem(agent)
    assert (
        api.post(f"{BASE}{problem.number}/transition/", {"state": "assess"}, format="json").status_code == 200
    )
    assert (
        api.post(
            f"{BASE}{problem.number}/transition/", {"state": "root_cause_analysis"}, format="json"
        ).status_code
        == 200
    )
    response = api.post(f"{BASE}{problem.number}/transition/", {"state": "fix_in_progress"}, format="json")
    assert response.status_code == 400 and {"root_cause", "workaround"} <= set(response.json())
    response = api.post(f"{BASE}{problem.number}/transition/", {"state": "closed"}, format="json")
    assert response.status_code == 400 and "state" in response.json()
    problem.refresh_from_db()
    assert problem.state == State.ROOT_CAUSE_ANALYSIS


def test_resolve_with_cascade(api, agent, incident):
    problem = walk_to_fix(make_problem(agent), agent)
    services.link_incidents(problem, by=agent, incidents=[incident])
    response = api.post(
        f"{BASE}{problem.number}/resolve/",
        {"resolution_code": "fix_applied", "fix_description": "Patched", "resolve_incidents": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["resolved_incidents"] == [incident.number]
    assert response.json()["problem"]["state"] == "resolved"
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    retry = api.post(
        f"{BASE}{problem.number}/resolve/",
        {"resolution_code": "fix_applied", "fix_description": "Patched", "resolve_incidents": True},
        format="json",
    )
    assert retry.status_code == 200 and retry.json()["resolved_incidents"] == []
    assert (
        Notification.objects.filter(template="incident_resolved", context__number=incident.number).count()
        == 1
    )


def test_link_and_unlink(api, agent, incident, desk, end_user):
    problem = make_problem(agent)
    other = make_problem(agent, short_description="Other")
    taken = make_incident(end_user, short_description="Taken")
    services.link_incidents(other, by=agent, incidents=[taken])
    response = api.post(
        f"{BASE}{problem.number}/link/",
        {"incidents": [incident.number, taken.number], "hold": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "linked": [incident.number],
        "already": [],
        "refused": {taken.number: f"already linked to {other.number}"},
        "held": [incident.number],
    }
    assert api.get(f"{BASE}{problem.number}/incidents/").json()[0]["number"] == incident.number
    bad = api.post(f"{BASE}{problem.number}/link/", {"incidents": ["INC0999999"]}, format="json")
    assert bad.status_code == 400 and "incidents" in bad.json()
    response = api.post(f"{BASE}{problem.number}/unlink/", {"incident": incident.number}, format="json")
    assert response.status_code == 204
    assert not ProblemIncident.objects.filter(problem=problem).exists()
    again = api.post(f"{BASE}{problem.number}/unlink/", {"incident": incident.number}, format="json")
    assert again.status_code == 400 and "incident" in again.json()


def test_known_error_action(api, agent):
    problem = make_problem(agent)
    response = api.post(f"{BASE}{problem.number}/known-error/", {"audience": "everyone"}, format="json")
    assert response.status_code == 400 and "workaround" in response.json()
    services.update_problem(problem, by=agent, changes={"workaround": "Use webmail"})
    response = api.post(
        f"{BASE}{problem.number}/known-error/",
        {"audience": "everyone", "symptoms": "Outlook hangs"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["known_error"] is True and response.json()["known_error_audience"] == "everyone"


def test_timeline_endpoint(api, agent):
    problem = make_problem(agent)
    services.add_note(problem, by=agent, body="Looked at logs")
    entries = api.get(f"{BASE}{problem.number}/timeline/").json()
    assert [e["kind"] for e in entries] == ["created", "work_note"]


def test_filters_are_shared_with_the_queue(api, agent):
    make_problem(agent, short_description="Mail relay drops")
    other = make_problem(agent, short_description="VPN flaps")
    services.cancel_problem(other, by=agent, reason="dup")
    assert [p["short_description"] for p in api.get(BASE, {"open": "true"}).json()["results"]] == [
        "Mail relay drops"
    ]
    assert [p["number"] for p in api.get(BASE, {"state": "cancelled"}).json()["results"]] == [other.number]
    assert api.get(BASE, {"state": "bogus"}).status_code == 400


def test_tasks_api(api, agent, service_desk_group):
    problem = make_problem(agent)
    response = api.post(
        "/api/v1/problem-tasks/",
        {"problem": problem.number, "short_description": "Collect logs", "task_type": "root_cause_analysis"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    number = response.json()["number"]
    response = api.patch(
        f"/api/v1/problem-tasks/{number}/",
        {"assignment_group": service_desk_group.pk, "assigned_to": agent.pk},
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == "in_progress"
    response = api.post(f"/api/v1/problem-tasks/{number}/transition/", {"state": "closed"}, format="json")
    assert response.status_code == 400 and "close_code" in response.json()
    response = api.post(
        f"/api/v1/problem-tasks/{number}/transition/",
        {"state": "closed", "close_code": "complete"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["close_code"] == "complete"


@pytest.fixture
def candidate(desk, end_user):
    incidents = [make_incident(end_user, short_description=f"VPN drops every hour {i}") for i in range(3)]
    candidate = ProblemCandidate.objects.create(
        fingerprint="y" * 64,
        group_kind="ci",
        configuration_item="VPN-GW-1",
        title="VPN drops",
        member_count=3,
        score=2,
    )
    candidate.members.set(incidents)
    return candidate


def test_candidates_list_convert_dismiss(api, agent, candidate, desk, end_user):
    second = ProblemCandidate.objects.create(
        fingerprint="z" * 64, group_kind="ci", title="Other", member_count=3
    )
    second.members.set([make_incident(end_user, short_description=f"Other {i}") for i in range(3)])
    with CaptureQueriesContext(connection) as ctx:
        listing = api.get(f"{BASE}candidates/", {"status": "open"})
    assert listing.status_code == 200 and len(listing.json()["results"]) == 2
    assert len(ctx) <= 6  # auth, page, members prefetch: not one per candidate
    assert len(listing.json()["results"][0]["incidents"]) == 3
    response = api.post(
        f"{BASE}candidates/{candidate.pk}/convert/", {"impact": 1, "urgency": 1}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["incident_count"] == 3 and response.json()["priority"] == 1
    assert api.post(f"{BASE}candidates/{candidate.pk}/convert/", {}, format="json").status_code == 400
    response = api.post(f"{BASE}candidates/{second.pk}/dismiss/", {"reason": "noise"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == CandidateStatus.DISMISSED


def test_detect_on_demand(api):
    response = api.post(f"{BASE}candidates/detect/")
    assert response.status_code == 202
    assert response.json() == {"queued": True}


def test_task_and_candidate_lists_cost_constant_queries(api, agent, desk, end_user):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx)

    def add(index):
        problem = make_problem(agent, short_description=f"P{index}")
        services.create_task(problem, by=agent, short_description=f"Task {index}")
        candidate = ProblemCandidate.objects.create(
            fingerprint=f"{index:064d}", group_kind="ci", title=f"T{index}"
        )
        candidate.members.set([make_incident(end_user, short_description=f"Trend {index}")])

    add(0)
    few = (count("/api/v1/problem-tasks/"), count(f"{BASE}candidates/"))
    for index in range(1, 8):
        add(index)
    assert (count("/api/v1/problem-tasks/"), count(f"{BASE}candidates/")) == few
