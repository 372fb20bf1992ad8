"""The agent queue pages: views, filters, search, sorting, pagination, htmx partials, bulk
actions, and a constant number of SQL queries whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.choices import State
from notifications.models import Notification
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

QUEUE = reverse("incidents:agent-queue")


def numbers(response) -> list[str]:
    return [incident.number for incident in response.context["rows"]]


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_end_user_cannot_open_agent_queue(client, end_user, desk):
    client.force_login(end_user)
    assert client.get(QUEUE).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, desk):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_my_open_view_shows_only_my_open_incidents(
    signed_in, agent, other_group_agent, end_user, desk, service_desk_group, network_group
):
    mine = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    make_incident(end_user, assignment_group=network_group, assigned_to=other_group_agent)
    resolved = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    services.resolve_incident(resolved, by=agent, resolution_code="solution_provided", resolution_notes="ok")
    response = signed_in.get(QUEUE, {"view": "mine"})
    assert response.status_code == 200
    assert numbers(response) == [mine.number]
    html = response.content.decode()
    assert mine.number in html and "End User" in html and "Service Desk" in html


def test_group_unassigned_view(signed_in, agent, end_user, desk, service_desk_group, network_group):
    waiting = make_incident(end_user, assignment_group=service_desk_group)
    make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    make_incident(end_user, assignment_group=network_group)
    response = signed_in.get(QUEUE, {"view": "group_unassigned"})
    assert numbers(response) == [waiting.number]


def test_all_open_and_recently_resolved_views(signed_in, agent, end_user, desk):
    open_one = make_incident(end_user)
    resolved = make_incident(end_user)
    services.resolve_incident(resolved, by=agent, resolution_code="solution_provided", resolution_notes="ok")
    assert numbers(signed_in.get(QUEUE, {"view": "open"})) == [open_one.number]
    assert numbers(signed_in.get(QUEUE, {"view": "resolved"})) == [resolved.number]
    # An explicit state filter replaces the view's default states.
    assert numbers(signed_in.get(QUEUE, {"view": "open", "state": "resolved"})) == [resolved.number]


def test_filters_search_and_category_subtree(signed_in, end_user, desk, category_tree, network_group):
    printer = make_incident(end_user, short_description="Toner empty", category=category_tree["Printer"])
    mail = make_incident(
        end_user,
        short_description="Mailbox full",
        category=category_tree["E-mail"],
        description="Outlook says the quota is exceeded",
        urgency=1,
        impact=1,
    )
    routed = make_incident(end_user, short_description="Switch down", assignment_group=network_group)
    assert numbers(signed_in.get(QUEUE, {"view": "open", "q": "toner"})) == [printer.number]
    assert numbers(signed_in.get(QUEUE, {"view": "open", "q": "quota"})) == [mail.number]
    assert numbers(signed_in.get(QUEUE, {"view": "open", "q": mail.number.lower()})) == [mail.number]
    hardware = category_tree["Hardware"].pk
    assert numbers(signed_in.get(QUEUE, {"view": "open", "category": hardware})) == [printer.number]
    assert numbers(signed_in.get(QUEUE, {"view": "open", "priority": ["1"]})) == [mail.number]
    assert numbers(signed_in.get(QUEUE, {"view": "open", "assignment_group": network_group.pk})) == [
        routed.number
    ]


def test_bad_filter_values_show_errors_not_a_500(signed_in, end_user, desk):
    make_incident(end_user)
    response = signed_in.get(
        QUEUE,
        {
            "view": "nonsense",
            "state": "exploded",
            "created_after": "yesterday-ish",
            "page": "x",
            "per_page": "7",
            "sort": "password",
            "assignment_group": "999999",
        },
    )
    assert response.status_code == 200
    errors = response.context["filterset"].errors
    assert {"state", "created_after", "assignment_group"} <= set(errors)


def test_sorting_by_priority_and_number(signed_in, end_user, desk):
    low = make_incident(end_user, impact=3, urgency=3)
    high = make_incident(end_user, impact=1, urgency=1)
    mid = make_incident(end_user, impact=2, urgency=2)
    assert numbers(signed_in.get(QUEUE, {"view": "open"})) == [high.number, mid.number, low.number]
    assert numbers(signed_in.get(QUEUE, {"view": "open", "sort": "-priority"})) == [
        low.number,
        mid.number,
        high.number,
    ]
    assert numbers(signed_in.get(QUEUE, {"view": "open", "sort": "number"})) == [
        low.number,
        high.number,
        mid.number,
    ]
    response = signed_in.get(QUEUE, {"view": "open", "sort": "-state"})
    assert response.status_code == 200


def test_pagination_fetches_one_extra_row_instead_of_counting(signed_in, end_user, desk):
    created = [make_incident(end_user) for _ in range(12)]
    first = signed_in.get(QUEUE, {"view": "open", "per_page": 10, "sort": "-number"})
    assert numbers(first) == [i.number for i in reversed(created)][:10]
    assert first.context["has_next"] and not first.context["has_previous"]
    second = signed_in.get(QUEUE, {"view": "open", "per_page": 10, "sort": "-number", "page": 2})
    assert numbers(second) == [created[1].number, created[0].number]
    assert not second.context["has_next"] and second.context["has_previous"]
    assert "Rows 11–12" in second.content.decode()


def test_htmx_request_gets_only_the_table_partial(signed_in, end_user, desk):
    incident = make_incident(end_user)
    response = signed_in.get(QUEUE, {"view": "open", "q": "printer"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="queue-results"') or 'id="queue-results"' in html[:400]
    assert "<html" not in html and incident.number in html
    # The 60-second refresh asks for the same filters again.
    assert 'hx-trigger="every 60s' in html and "q=printer" in html
    assert "HX-Request" in response["Vary"]


def test_full_page_has_htmx_filter_form_and_keyboard_search(signed_in, desk):
    html = signed_in.get(QUEUE).content.decode()
    assert "keyup changed delay:300ms from:[data-search]" in html
    assert 'hx-push-url="true"' in html
    assert "data-search" in html


@pytest.mark.parametrize(
    ("view", "sort"),
    [
        ("mine", ""),
        ("group_unassigned", ""),
        ("open", ""),
        ("resolved", ""),
        ("open", "due"),
        ("open", "-due"),
    ],
)
def test_queue_runs_constant_number_of_queries_whatever_the_page_size(
    signed_in, agent, end_user, other_end_user, desk, service_desk_group, category_tree, view, sort
):
    from slm.models import BusinessCalendar, SlaPolicy, SlaTarget

    # Real SLA timers on every row, so the SLA column's prefetch is part of the count.
    policy = SlaPolicy.objects.create(
        name="Count policy", order=1, calendar=BusinessCalendar.objects.create(name="c", is_24x7=True)
    )
    SlaTarget.objects.create(policy=policy, metric="resolution", target_minutes=600)
    SlaTarget.objects.create(policy=policy, metric="response", target_minutes=60)

    def add(count):
        for index in range(count):
            incident = make_incident(
                end_user if index % 2 else other_end_user,
                assignment_group=service_desk_group,
                assigned_to=None if view == "group_unassigned" else agent,
                category=category_tree["Printer"] if index % 3 else category_tree["E-mail"],
            )
            if view == "resolved":
                services.resolve_incident(
                    incident, by=agent, resolution_code="solution_provided", resolution_notes="ok"
                )

    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(
                QUEUE, {"view": view, "per_page": 50, **({"sort": sort} if sort else {})}
            )
        assert response.status_code == 200
        return len(response.context["rows"]), len(queries)

    add(5)
    signed_in.get(QUEUE, {"view": view})  # warm up the session
    rows_5, queries_5 = queries_for_page()
    add(45)
    rows_50, queries_50 = queries_for_page()
    assert (rows_5, rows_50) == (5, 50)
    assert queries_5 == queries_50


def test_bulk_assign_to_group_and_agent(signed_in, agent, end_user, desk, service_desk_group):
    first, second = make_incident(end_user), make_incident(end_user)
    response = signed_in.post(
        reverse("incidents:agent-bulk"),
        {
            "numbers": [first.number, second.number],
            "action": "assign",
            "assignment_group": service_desk_group.pk,
            "assigned_to": agent.pk,
            "query": "view=open",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?view=open")
    for incident in (first, second):
        incident.refresh_from_db()
        assert incident.assigned_to == agent and incident.state == State.IN_PROGRESS
        assert incident.timeline.filter(kind="assignment").exists()


def test_bulk_state_change_needs_the_fields_of_the_move(signed_in, agent, end_user, desk):
    incident = make_incident(end_user)
    response = signed_in.post(
        reverse("incidents:agent-bulk"),
        {"numbers": [incident.number], "action": "state", "state": "resolved", "query": "view=open"},
    )
    assert response.status_code == 400
    errors = response.context["bulk_form"].errors
    assert set(errors) == {"resolution_code", "resolution_notes"}
    html = response.content.decode()
    assert "Resolution notes: Describe the resolution for the caller." in html
    assert f'value="{incident.number}" aria-label="Select {incident.number}" checked' in html
    incident.refresh_from_db()
    assert incident.state == State.NEW


def test_bulk_state_change_reports_each_row_that_failed(signed_in, agent, end_user, desk):
    fresh = make_incident(end_user)
    done = make_incident(end_user)
    services.resolve_incident(done, by=agent, resolution_code="solution_provided", resolution_notes="ok")
    services.close_incident(done, by=agent)
    response = signed_in.post(
        reverse("incidents:agent-bulk"),
        {
            "numbers": [fresh.number, done.number, "INC9999999"],
            "action": "state",
            "state": "resolved",
            "resolution_code": "solution_provided",
            "resolution_notes": "Restarted the spooler",
            "query": "view=open",
        },
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(fresh.number in t and "updated" in t for t in texts)
    assert any(t.startswith(done.number) and "Closed" in t for t in texts)
    assert any(t.startswith("INC9999999") for t in texts)
    fresh.refresh_from_db()
    assert fresh.state == State.RESOLVED and fresh.resolution_notes == "Restarted the spooler"
    assert Notification.objects.filter(template="incident_resolved", context__number=fresh.number).exists()


def test_bulk_without_selection_names_the_field(signed_in, desk):
    response = signed_in.post(reverse("incidents:agent-bulk"), {"action": "assign", "query": ""})
    assert response.status_code == 400
    assert "numbers" in response.context["bulk_form"].errors
    assert "Select at least one incident." in response.content.decode()


def test_sort_by_state_follows_the_lifecycle_across_pages(signed_in, agent, end_user, desk):
    new = [make_incident(end_user) for _ in range(6)]
    started = [make_incident(end_user) for _ in range(5)]
    for incident in started:
        services.transition_incident(incident, by=agent, state=State.IN_PROGRESS)
    held = make_incident(end_user)
    services.put_on_hold(held, by=agent, hold_reason="awaiting_vendor")
    expected = [i.number for i in reversed(new)] + [i.number for i in reversed(started)] + [held.number]
    first = signed_in.get(QUEUE, {"view": "open", "sort": "state", "per_page": 10})
    second = signed_in.get(QUEUE, {"view": "open", "sort": "state", "per_page": 10, "page": 2})
    assert numbers(first) + numbers(second) == expected
    assert first.context["has_next"] and not second.context["has_next"]
    backwards = signed_in.get(QUEUE, {"view": "open", "sort": "-state", "per_page": 50})
    assert numbers(backwards) == [held.number] + [i.number for i in started] + [i.number for i in new]
    only_new = signed_in.get(QUEUE, {"view": "open", "sort": "state", "state": ["new"], "per_page": 50})
    assert numbers(only_new) == [i.number for i in reversed(new)]


def test_sort_by_state_runs_constant_number_of_queries(signed_in, end_user, desk):
    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(QUEUE, {"view": "open", "sort": "state", "per_page": 50})
        return len(response.context["rows"]), len(queries)

    for _ in range(5):
        make_incident(end_user)
    signed_in.get(QUEUE, {"view": "open"})
    rows_5, queries_5 = queries_for_page()
    for _ in range(45):
        make_incident(end_user)
    rows_50, queries_50 = queries_for_page()
    assert (rows_5, rows_50) == (5, 50) and queries_5 == queries_50


def test_filter_form_keeps_the_chosen_values(signed_in, desk, network_group, category_tree):
    html = signed_in.get(
        QUEUE,
        {
            "view": "open",
            "state": ["on_hold"],
            "priority": ["2"],
            "assignment_group": network_group.pk,
            "category": category_tree["Printer"].pk,
            "q": "toner",
        },
    ).content.decode()
    assert 'name="state" value="on_hold" id="id_state_2" checked' in html
    assert 'name="priority" value="2" id="id_priority_1" checked' in html
    assert f'<option value="{network_group.pk}" selected>Network</option>' in html
    assert f'<option value="{category_tree["Printer"].pk}" selected>Hardware › Printer</option>' in html
    assert 'value="toner"' in html


def test_queue_sorts_breaching_soonest_and_shows_sla_badges(client, agent, end_user, desk):
    from datetime import timedelta

    from django.utils import timezone

    from slm.models import BusinessCalendar, SlaPolicy, SlaTarget, SlaTimer
    from tests.incidents.factories import make_incident

    calendar = BusinessCalendar.objects.create(name="24x7 queue", time_zone="UTC", is_24x7=True)
    policy = SlaPolicy.objects.create(name="Queue policy", order=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric="resolution", target_minutes=600)
    later = make_incident(end_user, short_description="Due later")
    sooner = make_incident(end_user, short_description="Due sooner")
    no_timer_policy = make_incident(end_user, short_description="Will lose its timer")
    SlaTimer.objects.filter(incident=no_timer_policy).update(state="cancelled")
    SlaTimer.objects.filter(incident=sooner).update(due_at=timezone.now() + timedelta(minutes=5))
    client.force_login(agent)
    page = client.get("/agent/incidents/", {"view": "open", "sort": "due"}).content.decode()
    assert page.index(sooner.number) < page.index(later.number) < page.index(no_timer_policy.number)
    assert "Resolution:" in page  # the SLA badge of each running timer
