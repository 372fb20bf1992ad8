"""The incident API: create, read, PATCH of fields and assignment, validation, list filters,
ordering, pagination, query counts and idempotent creation."""

import hashlib
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.choices import State
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, IncidentTimelineEntry
from notifications.models import Notification
from slm.models import Service
from tests.incidents.api_support import API, detail_url, outbox
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_service(desk):
    return Service.objects.create(name="E-mail", desk=desk)


def test_agent_creates_incident_with_every_field(
    as_user, agent, end_user, desk, service_desk_group, category_tree, email_service
):
    parent = make_incident(end_user)
    response = as_user(agent).post(
        API,
        {
            "short_description": "Outlook cannot connect",
            "description": "Since 9:00, every client on floor 2.",
            "caller": end_user.username,
            "desk": "it",
            "contact_channel": "phone",
            "service": email_service.pk,
            "category": "Software > E-mail",
            "configuration_item": "EXCH01",
            "impact": 2,
            "urgency": 1,
            "assignment_group": service_desk_group.pk,
            "assigned_to": agent.pk,
            "parent": parent.number,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("INC") and body["priority"] == 2 and body["state"] == "new"
    assert body["caller"] == {"id": end_user.pk, "display": "End User", "url": None}
    assert body["assignment_group"]["display"] == "Service Desk"
    assert body["assignment_group"]["url"].endswith(f"/api/v1/groups/{service_desk_group.pk}/")
    assert body["category"]["display"] == "Software > E-mail"
    assert body["parent"]["number"] == parent.number
    assert body["allowed_transitions"] == ["in_progress", "on_hold", "resolved", "cancelled"]
    assert response["Location"].endswith(detail_url(body["number"]))
    assert response["ETag"] == f'"{body["number"]}-v1"'

    incident = Incident.objects.get(number=body["number"])
    assert incident.caller == end_user and incident.opened_by == agent
    assert incident.contact_channel == "phone" and incident.service == email_service
    assert incident.category == category_tree["E-mail"] and incident.parent == parent
    assert incident.assigned_to == agent
    assert [e.kind for e in incident.timeline.all()] == ["created"]
    assert outbox(incident) == [("incident_created", "end_user@example.com")]


def test_end_user_reports_an_incident_as_the_caller_through_the_api_channel(
    as_user, end_user, desk, category_tree, service_desk_group
):
    from incidents.models import RoutingRule

    RoutingRule.objects.create(
        name="Printers", category=category_tree["Hardware"], assignment_group=service_desk_group
    )
    response = as_user(end_user).post(
        API,
        {"short_description": "Printer jam", "category": category_tree["Printer"].pk, "urgency": 2},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["caller"]["id"] == end_user.pk
    # End users read what the portal shows (tests/incidents/test_api_audience.py): no channel,
    # transitions, priority or routing internals.
    assert {"contact_channel", "allowed_transitions", "priority"}.isdisjoint(body)
    assert body["web_url"].endswith(f"/portal/incidents/{body['number']}/")
    incident = Incident.objects.get(number=body["number"])
    assert incident.contact_channel == "api"
    assert incident.priority == 4  # impact stays at its default (3 - Low)
    assert incident.assignment_group == service_desk_group  # routed
    assert outbox(incident) == [
        ("incident_created", "end_user@example.com"),
        ("incident_assigned", "sd@example.com"),
    ]


def test_end_user_cannot_set_agent_fields_when_reporting(
    as_user, end_user, other_end_user, desk, service_desk_group
):
    response = as_user(end_user).post(
        API,
        {
            "short_description": "Help",
            "impact": 1,
            "caller": other_end_user.pk,
            "assignment_group": service_desk_group.pk,
            "state": "resolved",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"impact", "caller", "assignment_group", "state"}
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": 999}, "category"),
        ({"category": "Hardware > Toaster"}, "category"),
        ({"impact": 7}, "impact"),
        ({"urgency": "soon"}, "urgency"),
        ({"short_description": ""}, "short_description"),
        ({"short_description": "   "}, "short_description"),
        ({"assigned_to": "nobody"}, "assigned_to"),
        ({"parent": "INC9999999"}, "parent"),
        ({"contact_channel": "pigeon"}, "contact_channel"),
        ({"priority": 1}, "priority"),
        ({"prioriti": 1}, "prioriti"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_writes_nothing(
    as_user, agent, desk, category_tree, payload, field
):
    response = as_user(agent).post(API, {"short_description": "Broken", **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Incident.objects.count() == 0
    assert Notification.objects.count() == 0


def test_assignee_outside_the_group_is_a_field_error(as_user, agent, end_user, desk, network_group):
    response = as_user(agent).post(
        API,
        {
            "short_description": "x",
            "caller": end_user.pk,
            "assignment_group": network_group.pk,
            "assigned_to": agent.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "assigned_to" in response.json()
    assert Incident.objects.count() == 0


def test_agent_reads_an_incident_with_brief_references(as_user, agent, end_user, desk, category_tree):
    incident = make_incident(end_user, category=category_tree["Printer"])
    response = as_user(agent).get(detail_url(incident))
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == incident.etag == f'"{incident.number}-v1"'
    assert body["desk"] == {
        "id": desk.pk,
        "display": "IT Service Desk",
        "url": "http://testserver/api/v1/desks/it/",
    }
    assert body["category"] == {
        "id": category_tree["Printer"].pk,
        "display": "Hardware > Printer",
        "url": None,
    }
    assert body["version"] == 1 and body["is_major"] is False and body["major_state"] == ""
    assert body["created_at"].endswith("Z")  # UTC
    assert "comment" not in body  # write-only


def test_unknown_number_is_404(as_user, agent):
    assert as_user(agent).get(detail_url("INC0000001")).status_code == 404


def test_patch_of_fields_goes_through_update_incident(as_user, agent, end_user, desk, category_tree):
    incident = make_incident(end_user, impact=3, urgency=3)
    response = as_user(agent).patch(
        detail_url(incident),
        {"impact": 1, "urgency": 1, "category": "Hardware > PC", "short_description": "All PCs down"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["priority"] == 1
    assert response["ETag"] == f'"{incident.number}-v2"'
    incident.refresh_from_db()
    assert incident.priority == 1 and incident.category == category_tree["PC"] and incident.version == 2
    change = incident.timeline.get(kind="field_change")
    assert change.author == agent
    assert change.data["priority"] == [5, 1]
    assert change.data["short_description"] == ["Printer on floor 3 does not print", "All PCs down"]


def test_patch_refuses_read_only_and_unknown_fields(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(agent).patch(
        detail_url(incident),
        {"priority": 1, "number": "INC1", "caller": end_user.pk, "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"priority", "number", "caller", "colour"}
    incident.refresh_from_db()
    assert incident.version == 1


def test_patch_of_assignment_goes_through_assign_incident(
    as_user, agent, end_user, desk, service_desk_group, network_group, other_group_agent
):
    incident = make_incident(end_user)
    client = as_user(agent)
    response = client.patch(
        detail_url(incident),
        {"assignment_group": service_desk_group.pk, "assigned_to": agent.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "in_progress"  # assigning a person starts the work
    incident.refresh_from_db()
    assert incident.assigned_to == agent and incident.reassignment_count == 0

    # A new group without an assignee clears the person: a functional escalation.
    response = client.patch(detail_url(incident), {"assignment_group": "Network"}, format="json")
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.assignment_group == network_group and incident.assigned_to is None
    assert incident.reassignment_count == 1
    entries = list(incident.timeline.filter(kind="assignment").values_list("data", flat=True))
    assert entries[-1]["functional_escalation"] is True
    assert ("incident_assigned", "net@example.com") in outbox(incident)


def test_patch_that_fails_half_way_writes_nothing(as_user, agent, end_user, desk, service_desk_group):
    incident = make_incident(end_user)
    before = (Notification.objects.count(), IncidentTimelineEntry.objects.count())
    response = as_user(agent).patch(
        detail_url(incident),
        {
            "urgency": 1,
            "short_description": "Changed",
            "assignment_group": service_desk_group.pk,
            "assigned_to": agent.pk,
            "state": "resolved",
            "resolution_code": "solution_provided",
        },
        format="json",
    )
    # The fields and the assignment were valid and applied first; the resolution lacks its notes.
    assert response.status_code == 400
    assert set(response.json()) == {"resolution_notes"}
    incident.refresh_from_db()
    assert incident.urgency == 3 and incident.short_description == "Printer on floor 3 does not print"
    assert incident.assignment_group is None and incident.state == State.NEW and incident.version == 1
    assert (Notification.objects.count(), IncidentTimelineEntry.objects.count()) == before


def test_transition_fields_need_a_state(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(agent).patch(
        detail_url(incident), {"resolution_notes": "Done", "hold_reason": "awaiting_vendor"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"resolution_notes", "hold_reason"}


def test_patching_the_current_state_is_a_no_op(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(agent).patch(detail_url(incident), {"state": "new"}, format="json")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.version == 1


def test_put_and_delete_are_not_offered(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(agent)
    assert client.put(detail_url(incident), {"short_description": "x"}, format="json").status_code == 405
    assert client.delete(detail_url(incident)).status_code == 405


def test_anonymous_requests_are_refused(api_client, end_user, desk):
    incident = make_incident(end_user)
    assert api_client.get(API).status_code == 401
    assert api_client.get(detail_url(incident)).status_code == 401
    assert api_client.post(API, {"short_description": "x"}, format="json").status_code == 401


# --- list: filters, ordering, pagination, query count -------------------------------------------


@pytest.fixture
def queue(desk, end_user, other_end_user, agent, service_desk_group, network_group, category_tree):
    make = make_incident
    incidents = {
        "printer": make(end_user, category=category_tree["Printer"], assignment_group=service_desk_group),
        "pc": make(
            end_user, category=category_tree["PC"], impact=1, urgency=1, assignment_group=network_group
        ),
        "mail": make(other_end_user, category=category_tree["E-mail"], short_description="Mailbox full"),
        "mine": make(
            other_end_user, impact=2, urgency=2, assignment_group=service_desk_group, assigned_to=agent
        ),
    }
    services.resolve_incident(
        incidents["mail"], by=agent, resolution_code="solution_provided", resolution_notes="Archived"
    )
    return incidents


@pytest.mark.parametrize(
    "query",
    [
        "state=new",
        "state=new&state=in_progress",
        "priority=1",
        "assignment_group={service_desk_group}",
        "unassigned=true",
        "assigned_to={agent}",
        "category={hardware}",
        "q=mailbox",
        "q={printer_number}",
        "caller={end_user}",
        "created_after=2000-01-01T00:00:00Z",
    ],
)
def test_list_filters_are_the_ui_filterset(
    as_user, agent, end_user, service_desk_group, category_tree, queue, query
):
    query = query.format(
        service_desk_group=service_desk_group.pk,
        agent=agent.pk,
        hardware=category_tree["Hardware"].pk,
        printer_number=queue["printer"].number,
        end_user=end_user.pk,
    )
    response = as_user(agent).get(f"{API}?{query}")
    assert response.status_code == 200, response.json()
    numbers = [row["number"] for row in response.json()["results"]]
    from django.http import QueryDict

    expected = IncidentFilterSet(QueryDict(query), queryset=Incident.objects.all()).qs.order_by("-id")
    assert numbers == [incident.number for incident in expected]
    assert numbers  # every case matches something


def test_category_filter_includes_subcategories(as_user, agent, category_tree, queue):
    response = as_user(agent).get(f"{API}?category={category_tree['Hardware'].pk}")
    assert {row["number"] for row in response.json()["results"]} == {
        queue["printer"].number,
        queue["pc"].number,
    }


def test_unknown_filter_parameter_is_a_400_naming_it(as_user, agent, queue):
    response = as_user(agent).get(f"{API}?stat=new")
    assert response.status_code == 400
    assert response.json() == {"stat": ["Unknown filter parameter."]}


def test_bad_filter_value_is_a_400_naming_the_filter(as_user, agent, queue):
    response = as_user(agent).get(f"{API}?state=open&priority=9")
    assert response.status_code == 400
    assert set(response.json()) == {"state", "priority"}


def test_end_users_cannot_use_the_agent_queue_filters(as_user, end_user, agent, queue):
    response = as_user(end_user).get(f"{API}?assigned_to={agent.pk}&caller={end_user.pk}")
    assert response.status_code == 400
    assert set(response.json()) == {"assigned_to", "caller"}
    response = as_user(end_user).get(f"{API}?state=new")
    assert response.status_code == 200
    assert {row["number"] for row in response.json()["results"]} == {
        queue["printer"].number,
        queue["pc"].number,
    }


def test_ordering_parameter(as_user, agent, queue):
    response = as_user(agent).get(f"{API}?ordering=priority,-updated_at")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["number"] for row in rows][:2] == [queue["pc"].number, queue["mine"].number]
    assert [row["priority"] for row in rows] == sorted(row["priority"] for row in rows)
    response = as_user(agent).get(f"{API}?ordering=-colour")
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_cursor_pagination_walks_every_incident_once(as_user, agent, end_user, desk):
    created = {make_incident(end_user, urgency=1 + i % 3).number for i in range(7)}
    client = as_user(agent)
    for query in ("page_size=3", "page_size=3&ordering=priority"):
        seen, url = [], f"{API}?{query}"
        while url:
            body = client.get(url).json()
            seen += [row["number"] for row in body["results"]]
            url = body["next"]
        assert len(seen) == len(set(seen)) == 7
        assert set(seen) == created


def _count_list_queries(client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(queries)


def test_list_runs_a_constant_number_of_queries_whatever_the_page_size(
    as_user, agent, end_user, organization, desk, service_desk_group, category_tree
):
    organization.share_tickets = True
    organization.save()
    parent = make_incident(end_user)
    for i in range(50):
        make_incident(
            end_user,
            category=category_tree["Printer"],
            assignment_group=service_desk_group,
            assigned_to=agent if i % 2 else None,
            parent=parent if i % 3 == 0 else None,
        )
    for user, expected in ((agent, 6), (end_user, 7)):
        client = as_user(user)
        # token, roles, the page, its people, its parents, its SLA timers (+ the end user's
        # organisation)
        assert _count_list_queries(client, 5) == expected
        assert _count_list_queries(client, 50) == expected


# --- idempotent creation ------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_incident(as_user, end_user, other_end_user, desk):
    client = as_user(end_user)
    payload = {"short_description": "VPN drops every hour"}
    first = client.post(API, payload, format="json", HTTP_IDEMPOTENCY_KEY="c0ffee-1")
    again = client.post(API, payload, format="json", HTTP_IDEMPOTENCY_KEY="c0ffee-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert again["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1
    assert Notification.objects.filter(template="incident_created").count() == 1

    different = client.post(
        API, {"short_description": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="c0ffee-1"
    )
    assert different.status_code == 422
    # Keys are per user: someone else's request with the same key is their own.
    other = as_user(other_end_user).post(API, payload, format="json", HTTP_IDEMPOTENCY_KEY="c0ffee-1")
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]
    assert Incident.objects.count() == 2


def test_idempotency_key_is_released_when_the_request_fails(as_user, end_user, desk):
    client = as_user(end_user)
    bad = client.post(API, {"short_description": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 400
    good = client.post(API, {"short_description": "Fixed it"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert good.status_code == 201


def test_create_through_the_api_costs_a_bounded_number_of_queries(
    as_user, agent, end_user, desk, category_tree, django_assert_max_num_queries
):
    client = as_user(agent)
    payload = {
        "short_description": "Printer jam",
        "caller": end_user.pk,
        "category": category_tree["Printer"].pk,
    }
    assert client.post(API, payload, format="json").status_code == 201  # warm-up
    # token, roles, caller, category, the view's savepoint, create_incident (16 on SQLite, where the
    # number sequence is a counter row), SLA policy match and timers; the result is not read back
    with django_assert_max_num_queries(26):
        assert client.post(API, payload, format="json").status_code == 201


def test_idempotency_key_in_flight_is_a_409(as_user, end_user, desk):
    import uuid

    from core.models import IdempotencyRecord

    payload = {"short_description": "Printer jam"}
    fingerprint = hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()
    # Another request with the same key is still running (its claim has no response yet).
    IdempotencyRecord.objects.create(
        user=end_user, key="in-flight", method="POST", path=API, fingerprint=fingerprint, token=uuid.uuid4()
    )
    response = as_user(end_user).post(API, payload, format="json", HTTP_IDEMPOTENCY_KEY="in-flight")
    assert response.status_code == 409
    assert Incident.objects.count() == 0


def test_detail_includes_the_sla_timers(as_user, agent, end_user, desk):
    from slm.models import BusinessCalendar, SlaPolicy, SlaTarget

    calendar = BusinessCalendar.objects.create(name="24x7 test", time_zone="UTC", is_24x7=True)
    policy = SlaPolicy.objects.create(name="All", order=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric="response", target_minutes=30)
    SlaTarget.objects.create(policy=policy, metric="resolution", target_minutes=240)
    incident = make_incident(end_user)
    body = as_user(agent).get(f"{API}{incident.number}/").json()
    timers = {timer["metric"]: timer for timer in body["timers"]}
    assert set(timers) == {"response", "resolution"}
    assert timers["response"]["target_seconds"] == 30 * 60
    assert timers["resolution"]["state"] == "running"
    assert timers["resolution"]["breached"] is False
    assert timers["resolution"]["due_at"] is not None
