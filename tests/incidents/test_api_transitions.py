"""State changes through the API: every allowed transition by PATCH, a sample of forbidden ones,
the actions, and the timeline and outbox rows each one writes."""

import pytest

from incidents.choices import HoldReason, State
from incidents.models import Incident
from incidents.rules import TRANSITIONS, allowed_transitions
from notifications.models import Notification
from tests.incidents.api_support import detail_url, make_in_state, outbox
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

# What each target state needs in the PATCH body (see incidents.rules.TRANSITIONS).
REQUIRED = {
    State.IN_PROGRESS: {},
    State.ON_HOLD: {"hold_reason": HoldReason.AWAITING_VENDOR},
    State.RESOLVED: {"resolution_code": "workaround_provided", "resolution_notes": "Restarted the spooler"},
    State.CANCELLED: {"resolution_notes": "Raised twice"},
    State.CLOSED: {},
}
# The caller's notification for a move into this state (None: no message to the caller).
CALLER_TEMPLATE = {
    State.RESOLVED: "incident_resolved",
    State.CLOSED: "incident_closed",
    State.CANCELLED: "incident_cancelled",
}

ALLOWED = [(source, target) for source, targets in TRANSITIONS.items() for target in targets]


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_every_allowed_transition_through_patch(
    as_user, agent, end_user, desk, service_desk_group, source, target
):
    incident = make_in_state(source, caller=end_user, agent=agent, group=service_desk_group)
    incident.refresh_from_db()
    version = incident.version
    payload = {"state": target, **REQUIRED[target]}
    reopen = source == State.RESOLVED and target == State.IN_PROGRESS
    if reopen:
        payload["comment"] = "Still broken after the fix"
    before = set(Notification.objects.values_list("pk", flat=True))

    response = as_user(agent).patch(
        detail_url(incident), payload, format="json", HTTP_IF_MATCH=f'"{incident.number}-v{version}"'
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == target
    assert body["allowed_transitions"] == allowed_transitions(target)
    incident.refresh_from_db()
    assert incident.state == target and incident.version > version
    change = incident.timeline.filter(kind="state_change").last()
    assert change.data["state"] == [source, target] and change.author == agent
    if target == State.ON_HOLD:
        assert incident.hold_reason == HoldReason.AWAITING_VENDOR
    if target == State.RESOLVED:
        assert incident.resolution_code == "workaround_provided" and incident.resolved_by == agent
    if target == State.CANCELLED:
        assert incident.resolution_notes == "Raised twice" and incident.closed_at is not None
    new_rows = list(
        Notification.objects.exclude(pk__in=before).order_by("id").values_list("template", "address")
    )
    if target in CALLER_TEMPLATE:
        assert new_rows == [(CALLER_TEMPLATE[target], "end_user@example.com")]
    elif reopen:
        assert incident.reopen_count == 1
        assert incident.timeline.filter(
            kind="comment", body="Still broken after the fix", is_public=True
        ).exists()
        assert new_rows == [
            ("incident_reopened", "sd@example.com"),  # the group's address: nobody is assigned
            ("incident_comment", "end_user@example.com"),  # the reason, as a public comment
        ]
    else:
        assert new_rows == []


FORBIDDEN = [
    (State.NEW, State.CLOSED),
    (State.IN_PROGRESS, State.NEW),
    (State.ON_HOLD, State.CLOSED),
    (State.RESOLVED, State.ON_HOLD),
    (State.RESOLVED, State.CANCELLED),
    (State.CLOSED, State.IN_PROGRESS),
    (State.CANCELLED, State.RESOLVED),
]


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[f"{s}->{t}" for s, t in FORBIDDEN])
def test_forbidden_transition_is_a_400_listing_the_allowed_ones(
    as_user, agent, end_user, desk, source, target
):
    incident = make_in_state(source, caller=end_user, agent=agent)
    incident.refresh_from_db()
    version, entries = incident.version, incident.timeline.count()
    payload = {"state": target, **REQUIRED.get(target, {})}
    response = as_user(agent).patch(detail_url(incident), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["allowed_transitions"] == allowed_transitions(source)
    assert "state" in body
    assert f"Allowed: {', '.join(allowed_transitions(source)) or 'none'}." in body["state"][0]
    incident.refresh_from_db()
    assert incident.state == source and incident.version == version
    assert incident.timeline.count() == entries


def test_unknown_state_is_a_400_naming_state(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(agent).patch(detail_url(incident), {"state": "done"}, format="json")
    assert response.status_code == 400
    assert "state" in response.json()


def test_hold_awaiting_the_caller_needs_a_question_which_the_caller_sees(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(agent)
    refused = client.patch(
        detail_url(incident), {"state": "on_hold", "hold_reason": "awaiting_caller"}, format="json"
    )
    assert refused.status_code == 400 and "comment" in refused.json()
    response = client.patch(
        detail_url(incident),
        {"state": "on_hold", "hold_reason": "awaiting_caller", "comment": "Which floor is the printer on?"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.state == State.ON_HOLD and incident.hold_reason == HoldReason.AWAITING_CALLER
    assert ("incident_comment", "end_user@example.com") in outbox(incident)
    # The caller's answer through the API takes the incident off hold.
    answer = as_user(end_user).post(f"{detail_url(incident)}comments/", {"body": "Floor 3"}, format="json")
    assert answer.status_code == 201
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.hold_reason == ""


def test_on_hold_without_a_reason_names_hold_reason(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(agent).patch(detail_url(incident), {"state": "on_hold"}, format="json")
    assert response.status_code == 400
    assert "hold_reason" in response.json()


def test_reopen_by_patch_needs_a_reason(as_user, agent, end_user, desk):
    incident = make_in_state(State.RESOLVED, caller=end_user, agent=agent)
    response = as_user(agent).patch(detail_url(incident), {"state": "in_progress"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"comment"}
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED


def test_resolve_without_notes_is_a_400_naming_them(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(agent)
    for response in (
        client.post(
            f"{detail_url(incident)}resolve/",
            {"resolution_code": "solution_provided", "resolution_notes": ""},
            format="json",
        ),
        client.patch(
            detail_url(incident), {"state": "resolved", "resolution_code": "solution_provided"}, format="json"
        ),
    ):
        assert response.status_code == 400
        assert set(response.json()) == {"resolution_notes"}
    missing = client.post(
        f"{detail_url(incident)}resolve/", {"resolution_code": "solution_provided"}, format="json"
    )
    assert missing.status_code == 400 and "resolution_notes" in missing.json()
    incident.refresh_from_db()
    assert incident.state == State.NEW and incident.resolved_at is None


# --- actions ------------------------------------------------------------------------------------


def test_resolve_accept_closes_and_tells_the_caller(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(agent).post(
        f"{detail_url(incident)}resolve/",
        {"resolution_code": "solution_provided", "resolution_notes": "Replaced the fuser"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "resolved"
    assert response["ETag"] == f'"{incident.number}-v2"'
    accepted = as_user(end_user).post(f"{detail_url(incident)}accept/")
    assert accepted.status_code == 200, accepted.json()
    incident.refresh_from_db()
    assert incident.state == State.CLOSED and incident.closed_at is not None
    assert outbox(incident) == [
        ("incident_created", "end_user@example.com"),
        ("incident_resolved", "end_user@example.com"),
        ("incident_closed", "end_user@example.com"),
    ]


def test_caller_rejects_the_resolution_and_the_resolvers_hear_of_it(
    as_user, agent, end_user, desk, service_desk_group
):
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    as_user(agent).post(
        f"{detail_url(incident)}resolve/",
        {"resolution_code": "solution_provided", "resolution_notes": "Cleared the queue"},
        format="json",
    )
    missing = as_user(end_user).post(f"{detail_url(incident)}reject/", {"reason": ""}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    response = as_user(end_user).post(
        f"{detail_url(incident)}reject/", {"reason": "Still jammed"}, format="json"
    )
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.reopen_count == 1
    assert ("incident_reopened", "agent@example.com") in outbox(incident)
    assert incident.timeline.filter(kind="comment", author=end_user, body="Still jammed").exists()


def test_accept_or_reject_needs_a_resolved_incident(as_user, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(end_user)
    for response in (
        client.post(f"{detail_url(incident)}accept/"),
        client.post(f"{detail_url(incident)}reject/", {"reason": "x"}, format="json"),
    ):
        assert response.status_code == 400
        assert "state" in response.json()
        assert response.json()["allowed_transitions"] == allowed_transitions(State.NEW)


def test_agent_reopens_with_a_reason(as_user, agent, end_user, desk):
    incident = make_in_state(State.RESOLVED, caller=end_user, agent=agent)
    response = as_user(agent).post(
        f"{detail_url(incident)}reopen/", {"reason": "Caller called back"}, format="json"
    )
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.last_reopened_at is not None


def test_assign_action(as_user, agent, end_user, desk, service_desk_group):
    incident = make_incident(end_user)
    response = as_user(agent).post(
        f"{detail_url(incident)}assign/",
        {"assignment_group": service_desk_group.pk, "assigned_to": agent.username, "note": "Mine"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assigned_to"]["id"] == agent.pk
    incident.refresh_from_db()
    assert incident.assigned_to == agent and incident.state == State.IN_PROGRESS
    assert incident.timeline.filter(kind="assignment", body="Mine").exists()


def test_escalate_action_tells_the_group_manager(
    as_user, agent, end_user, desk, service_desk_group, incident_manager
):
    incident = make_incident(end_user, assignment_group=service_desk_group)
    client = as_user(agent)
    assert client.post(f"{detail_url(incident)}escalate/", {"reason": ""}, format="json").status_code == 400
    response = client.post(f"{detail_url(incident)}escalate/", {"reason": "VIP, no progress"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["escalation_level"] == 1
    assert ("incident_escalated", "incident_manager@example.com") in outbox(incident)


def test_caller_rates_the_resolution(as_user, agent, end_user, desk):
    incident = make_in_state(State.RESOLVED, caller=end_user, agent=agent)
    client = as_user(end_user)
    assert client.post(f"{detail_url(incident)}rate/", {"score": 6}, format="json").status_code == 400
    response = client.post(f"{detail_url(incident)}rate/", {"score": 5, "comment": "Quick!"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["satisfaction"] == 5
    assert as_user(agent).post(f"{detail_url(incident)}rate/", {"score": 1}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("", None),
        ("resolve/", {"resolution_code": "solution_provided", "resolution_notes": "x"}),
        ("reopen/", {"reason": "x"}),
        ("assign/", {"assignment_group": None}),
        ("escalate/", {"reason": "x"}),
    ],
)
def test_agent_only_operations_are_403_for_the_caller_on_their_own_incident(
    as_user, end_user, desk, path, payload
):
    incident = make_incident(end_user)
    client = as_user(end_user)
    url = f"{detail_url(incident)}{path}"
    if path:
        response = client.post(url, payload, format="json")
    else:
        response = client.patch(url, {"short_description": "Mine"}, format="json")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.version == 1


def test_comment_notifications_go_to_the_other_side(as_user, agent, end_user, desk, service_desk_group):
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    url = f"{detail_url(incident)}comments/"
    reply = as_user(agent).post(url, {"body": "Can you restart it?"}, format="json")
    assert reply.status_code == 201 and reply.json()["internal"] is False
    incident.refresh_from_db()
    assert incident.first_response_at is not None
    answer = as_user(end_user).post(url, {"body": "Done, still broken"}, format="json")
    assert answer.status_code == 201
    assert outbox(incident)[-2:] == [
        ("incident_comment", "end_user@example.com"),
        ("incident_caller_replied", "agent@example.com"),
    ]
    empty = as_user(end_user).post(url, {"body": " "}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()


def test_every_state_is_reachable_by_the_api_vocabulary():
    assert {s.value for s in State} == {"new", "in_progress", "on_hold", "resolved", "closed", "cancelled"}
    assert Incident._meta.get_field("state").default == "new"
