"""Agent pages of problem management: scope, queue, detail actions, linking, resolve dialog,
known errors, candidates and the widgets on the agent home."""

import pytest
from django.urls import reverse

from incidents.choices import State as IncidentState
from notifications.models import Notification
from problems import services
from problems.choices import CandidateStatus, State
from problems.models import Problem, ProblemCandidate, ProblemIncident
from tests.incidents.factories import make_incident
from tests.problems.conftest import make_problem
from tests.problems.test_services import walk_to_fix

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def problem(agent):
    return make_problem(agent, workaround="Restart the mail relay")


@pytest.fixture
def incident(desk, end_user):
    return make_incident(end_user, short_description="Mail stuck in outbox")


def test_end_user_gets_403_on_every_problem_page(client, end_user, problem, incident):
    client.force_login(end_user)
    for url in [
        reverse("problems:queue"),
        reverse("problems:known-errors"),
        reverse("problems:candidates"),
        problem.get_absolute_url(),
        reverse("problems:link", args=[problem.number]),
        reverse("problems:resolve", args=[problem.number]),
    ]:
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("problems:link-any"), {"problem": problem.number, "incidents": incident.number}
    )
    assert response.status_code == 403
    assert not ProblemIncident.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, problem):
    response = client.get(problem.get_absolute_url())
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_queue_shows_open_problems_with_incident_counts(agent_client, agent, problem, incident):
    services.link_incidents(problem, by=agent, incidents=[incident])
    cancelled = make_problem(agent, short_description="Old idea")
    services.cancel_problem(cancelled, by=agent, reason="No")
    response = agent_client.get(reverse("problems:queue"))
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [p.number for p in rows] == [problem.number]
    assert rows[0].incident_count == 1
    html = response.content.decode()
    assert problem.number in html and "Old idea" not in html
    everything = agent_client.get(reverse("problems:queue"), {"state": ["cancelled"]})
    assert [p.number for p in everything.context["page"]] == [cancelled.number]


def test_queue_costs_the_same_queries_for_any_number_of_rows(
    agent_client, agent, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(reverse("problems:queue")).status_code == 200
        return len(ctx)

    make_problem(agent)
    few = count()
    for index in range(15):
        make_problem(agent, short_description=f"Problem {index}")
    assert count() == few


def test_queue_filters_by_text_and_age(agent_client, agent):
    mail = make_problem(agent, short_description="Mail relay drops messages")
    make_problem(agent, short_description="VPN flaps")
    response = agent_client.get(reverse("problems:queue"), {"q": "relay"})
    assert [p.number for p in response.context["page"]] == [mail.number]
    response = agent_client.get(reverse("problems:queue"), {"age": "gte90", "open": "true"})
    assert list(response.context["page"]) == []


def test_create_with_incidents_links_them(agent_client, incident):
    response = agent_client.post(
        reverse("problems:create"),
        {
            "short_description": "Outbox stuck",
            "impact": 2,
            "urgency": 2,
            "incidents": f" {incident.number.lower()} ",
        },
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == problem.get_absolute_url()
    assert problem.priority == 3
    assert ProblemIncident.objects.get().incident == incident


def test_create_with_unknown_incident_is_a_field_error_and_nothing_is_written(agent_client):
    response = agent_client.post(
        reverse("problems:create"),
        {"short_description": "X", "impact": 3, "urgency": 3, "incidents": "INC0999999"},
    )
    assert response.status_code == 400
    assert "No incident with the number INC0999999." in response.content.decode()
    assert not Problem.objects.exists()


def test_new_problem_form_starts_from_the_incident(agent_client, incident):
    response = agent_client.get(reverse("problems:create"), {"incidents": incident.number})
    form = response.context["form"]
    assert form.initial["short_description"] == incident.short_description
    assert form.initial["incidents"] == incident.number


def test_detail_shows_everything_and_moves_through_states(agent_client, agent, problem, incident):
    services.link_incidents(problem, by=agent, incidents=[incident])
    response = agent_client.get(problem.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert incident.number in html and "Restart the mail relay" in html
    response = agent_client.post(
        reverse("problems:transition", args=[problem.number]), {"state": "assess", "version": problem.version}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == State.ASSESS


def test_refused_transition_shows_the_reason(agent_client, problem):
    response = agent_client.post(reverse("problems:transition", args=[problem.number]), {"state": "closed"})
    assert response.status_code == 400
    assert "Cannot move a problem" in response.content.decode()
    problem.refresh_from_db()
    assert problem.state == State.NEW


def test_stale_edit_is_refused(agent_client, agent, problem):
    stale = problem.version
    services.update_problem(problem, by=agent, changes={"description": "newer"})
    response = agent_client.post(
        reverse("problems:edit", args=[problem.number]),
        {"short_description": "Mine", "impact": 3, "urgency": 3, "version": stale},
    )
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    problem.refresh_from_db()
    assert problem.short_description != "Mine"


def test_resolve_dialog_lists_the_incidents_it_will_resolve_then_resolves_them(
    agent_client, agent, problem, incident
):
    walk_to_fix(problem, agent)
    services.link_incidents(problem, by=agent, incidents=[incident])
    page = agent_client.get(reverse("problems:resolve", args=[problem.number]))
    assert incident.number in page.content.decode()
    assert [i.number for i in page.context["preview"]["open"]] == [incident.number]
    problem.refresh_from_db()
    response = agent_client.post(
        reverse("problems:resolve", args=[problem.number]),
        {
            "resolution_code": "fix_applied",
            "fix_description": "Relay patched",
            "resolve_incidents": "on",
            "version": problem.version,
        },
        follow=True,
    )
    assert "1 linked incident was resolved" in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED and incident.resolution_code == "resolved_by_problem"
    assert (
        Notification.objects.filter(template="incident_resolved", context__number=incident.number).count()
        == 1
    )


def test_resolve_with_a_code_that_does_not_fit_the_state_is_refused(agent_client, agent, problem):
    services.transition_problem(problem, by=agent, state=State.ASSESS)
    response = agent_client.post(
        reverse("problems:resolve", args=[problem.number]),
        {"resolution_code": "fix_applied", "fix_description": "x"},
    )
    assert response.status_code == 400
    problem.refresh_from_db()
    assert problem.state == State.ASSESS


def test_link_page_links_pasted_and_ticked_incidents_and_follows_next(agent_client, problem, desk, end_user):
    first = make_incident(end_user, short_description="Mail stuck")
    second = make_incident(end_user, short_description="Mail slow")
    response = agent_client.post(
        reverse("problems:link", args=[problem.number]),
        {"incidents": [f"{first.number}\n", second.number], "next": "/agent/"},
    )
    assert response.status_code == 302 and response["Location"] == "/agent/"
    assert ProblemIncident.objects.filter(problem=problem).count() == 2


def test_queue_bulk_action_posts_numbers_to_link_endpoint(agent_client, problem, desk, end_user):
    numbers = [make_incident(end_user, short_description=f"Mail {i}").number for i in range(3)]
    response = agent_client.post(
        reverse("problems:link-any"),
        {"problem": problem.number, "numbers": numbers, "hold": "on", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == problem.get_absolute_url()
    assert ProblemIncident.objects.filter(problem=problem).count() == 3
    held = ProblemIncident.objects.filter(problem=problem, incident__hold_reason="awaiting_problem").count()
    assert held == 3


def test_link_with_an_unknown_number_links_nothing(agent_client, problem, incident):
    response = agent_client.post(
        reverse("problems:link", args=[problem.number]), {"incidents": f"{incident.number}, INC0000001"}
    )
    assert response.status_code == 400
    assert "INC0000001" in response.content.decode()
    assert not ProblemIncident.objects.exists()


def test_link_page_search_lists_incidents_without_a_problem(agent_client, agent, problem, desk, end_user):
    free = make_incident(end_user, short_description="Mail bounced")
    taken = make_incident(end_user, short_description="Mail bounced too")
    services.link_incidents(make_problem(agent), by=agent, incidents=[taken])
    response = agent_client.get(reverse("problems:link", args=[problem.number]), {"q": "bounced"})
    assert [i.number for i in response.context["results"]] == [free.number]


def _panel_html(user, incident):
    from django.test import RequestFactory

    from core.panels import render_panels

    request = RequestFactory().get(incident.get_absolute_url())
    request.user = user
    return "".join(render_panels("incident-agent-side", request, incident))


def test_incident_panel_shows_the_problem_and_workaround_to_agents_only(
    client, agent, end_user, problem, incident
):
    services.link_incidents(problem, by=agent, incidents=[incident])
    html = _panel_html(agent, incident)
    assert problem.number in html and "Restart the mail relay" in html
    assert _panel_html(end_user, incident) == ""
    client.force_login(end_user)
    portal = client.get(incident.get_portal_url()).content.decode()
    assert (
        problem.number not in portal and "Restart the mail relay" not in portal
    )  # link entries are internal


def test_incident_panel_offers_linking_when_there_is_no_problem(agent_client, agent, problem, incident):
    html = _panel_html(agent, incident)
    assert reverse("problems:link-any") in html and incident.number in html
    response = agent_client.post(
        reverse("problems:link-any"),
        {
            "problem": problem.number.lower(),
            "incidents": incident.number,
            "next": incident.get_absolute_url(),
        },
    )
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.problem_link.problem == problem


def test_unlink_button(agent_client, agent, problem, incident):
    services.link_incidents(problem, by=agent, incidents=[incident])
    response = agent_client.post(reverse("problems:unlink", args=[problem.number, incident.number]))
    assert response.status_code == 302
    assert not ProblemIncident.objects.exists()


def test_known_error_needs_a_workaround(agent_client, agent):
    bare = make_problem(agent)
    response = agent_client.post(reverse("problems:known-error", args=[bare.number]), {"audience": "agents"})
    assert response.status_code == 400
    assert "Document the workaround" in response.content.decode()
    bare.refresh_from_db()
    assert not bare.known_error


def test_known_error_list(agent_client, agent, problem):
    agent_client.post(
        reverse("problems:known-error", args=[problem.number]),
        {"audience": "everyone", "symptoms": "Mail waits"},
    )
    problem.refresh_from_db()
    assert (
        problem.known_error
        and problem.known_error_audience == "everyone"
        and problem.symptoms == "Mail waits"
    )
    response = agent_client.get(reverse("problems:known-errors"))
    assert [p.number for p in response.context["page"]] == [problem.number]


def test_tasks_from_the_detail_page(agent_client, agent, problem):
    response = agent_client.post(
        reverse("problems:task-add", args=[problem.number]),
        {"short_description": "Read relay logs", "task_type": "root_cause_analysis"},
    )
    assert response.status_code == 302
    task = problem.tasks.get()
    agent_client.post(reverse("problems:task-update", args=[problem.number, task.number]), {"action": "take"})
    task.refresh_from_db()
    assert task.assigned_to == agent and task.state == "in_progress"
    agent_client.post(
        reverse("problems:task-update", args=[problem.number, task.number]),
        {"state": "closed", "close_code": "complete"},
    )
    task.refresh_from_db()
    assert task.state == "closed" and task.close_code == "complete"


def test_notes_and_bad_notes(agent_client, problem):
    assert (
        agent_client.post(
            reverse("problems:note", args=[problem.number]), {"body": "Checked", "kind": "work_note"}
        ).status_code
        == 302
    )
    assert (
        agent_client.post(
            reverse("problems:note", args=[problem.number]), {"body": " ", "kind": "work_note"}
        ).status_code
        == 400
    )
    assert problem.timeline.filter(kind="work_note").count() == 1


@pytest.fixture
def candidate(desk, end_user):
    incidents = [make_incident(end_user, short_description=f"VPN drops every hour {i}") for i in range(3)]
    candidate = ProblemCandidate.objects.create(
        fingerprint="x" * 64,
        group_kind="ci",
        configuration_item="VPN-GW-1",
        title="VPN drops every hour",
        member_count=3,
        score=2.5,
    )
    candidate.members.set(incidents)
    return candidate


def test_candidates_page_convert_and_dismiss(agent_client, agent, candidate):
    page = agent_client.get(reverse("problems:candidates"))
    assert [c.pk for c in page.context["page"]] == [candidate.pk]
    response = agent_client.post(
        reverse("problems:candidate-detail", args=[candidate.pk]),
        {"short_description": "VPN gateway drops sessions", "impact": 2, "urgency": 1},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == problem.get_absolute_url()
    assert problem.configuration_item == "VPN-GW-1" and problem.incident_links.count() == 3
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.CONVERTED
    again = agent_client.post(
        reverse("problems:candidate-detail", args=[candidate.pk]),
        {"short_description": "x", "impact": 2, "urgency": 1},
    )
    assert again.status_code == 400 and Problem.objects.count() == 1


def test_dismiss_candidate(agent_client, candidate):
    response = agent_client.post(
        reverse("problems:candidate-dismiss", args=[candidate.pk]), {"reason": "Planned outage"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED and candidate.dismissed_member_count == 3
    assert agent_client.get(reverse("problems:candidates")).context["page"].object_list.count() == 0


def test_detect_now_button_queues_the_task(agent_client):
    response = agent_client.post(reverse("problems:candidates-detect"), follow=True)
    assert response.status_code == 200
    assert "Trend detection started" in response.content.decode()


def test_agent_home_widgets(agent_client, agent, problem, incident):
    services.link_incidents(problem, by=agent, incidents=[incident])
    html = agent_client.get(reverse("agent-home")).content.decode()
    assert "Incidents per problem" in html and "Open problems by age" in html
    assert problem.number in html


def test_nav_has_problems(agent_client):
    html = agent_client.get(reverse("agent-home")).content.decode()
    assert f'href="{reverse("problems:queue")}"' in html


def test_callers_never_see_problem_work_notes(client, agent, end_user, incident):
    problem = make_problem(agent, workaround="Use webmail")
    services.add_note(problem, by=agent, body="Vendor ticket 4711: secret internal detail")
    walk_to_fix(problem, agent)
    services.link_incidents(problem, by=agent, incidents=[incident], hold=True)
    services.resolve_problem(
        problem,
        by=agent,
        resolution_code="fix_applied",
        fix_description="Mail relay patched",
        resolve_incidents=True,
    )
    client.force_login(end_user)
    portal = client.get(incident.get_portal_url()).content.decode()
    assert "Mail relay patched" in portal  # the resolution reaches the caller
    assert "secret internal detail" not in portal and "Linked to problem" not in portal
    assert client.get(problem.get_absolute_url()).status_code == 403
    body = Notification.objects.get(template="incident_resolved", context__number=incident.number).context
    assert "secret internal detail" not in str(body)


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_known_errors_and_candidates_pages_cost_constant_queries(agent_client, agent, desk, end_user):
    def add_known_error(index):
        problem = make_problem(agent, short_description=f"KE {index}", workaround="Restart")
        services.mark_known_error(problem, by=agent)
        candidate = ProblemCandidate.objects.create(
            fingerprint=f"{index:064d}", group_kind="ci", configuration_item=f"CI-{index}", title=f"T{index}"
        )
        candidate.members.set([make_incident(end_user, short_description=f"Trend {index}")])

    add_known_error(0)
    few = (
        _queries(agent_client, reverse("problems:known-errors")),
        _queries(agent_client, reverse("problems:candidates")),
    )
    for index in range(1, 8):
        add_known_error(index)
    many = (
        _queries(agent_client, reverse("problems:known-errors")),
        _queries(agent_client, reverse("problems:candidates")),
    )
    assert many == few


def test_incidents_per_problem_figures(rf, agent, desk, end_user):
    from problems.panels import incidents_per_problem

    open_problem = make_problem(agent)
    services.link_incidents(open_problem, by=agent, incidents=[make_incident(end_user) for _ in range(3)])
    fixed = walk_to_fix(make_problem(agent, short_description="Fixed"), agent)
    services.link_incidents(fixed, by=agent, incidents=[make_incident(end_user)])
    services.resolve_problem(
        fixed, by=agent, resolution_code="fix_applied", fix_description="Patched", resolve_incidents=True
    )
    request = rf.get("/agent/")
    request.user = agent
    figures = incidents_per_problem(request)
    assert (figures["incidents"], figures["problems"], figures["ratio"]) == (3, 1, 3.0)
    assert (figures["resolved_incidents"], figures["resolved_problems"]) == (1, 1)
    assert (figures["by_problem"], figures["resolved"], figures["share_by_problem"]) == (1, 1, 100)
    request.user = end_user
    assert incidents_per_problem(request) is None


def test_queue_bulk_action_can_open_the_problem_picker(agent_client, agent, desk, end_user):
    open_problem = make_problem(agent)
    numbers = [make_incident(end_user, short_description=f"Mail {i}").number for i in range(2)]
    response = agent_client.get(
        reverse("problems:link-any"), {"numbers": numbers, "next": "/agent/incidents/"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["incidents"] == ", ".join(numbers) and form.initial["next"] == "/agent/incidents/"
    assert open_problem.number in response.content.decode()
    response = agent_client.post(
        reverse("problems:link-any"),
        {
            "incidents": form.initial["incidents"],
            "problem_pick": open_problem.number,
            "next": "/agent/incidents/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/agent/incidents/"
    assert open_problem.incident_links.count() == 2


def test_incident_page_shows_its_problem_and_workaround(agent_client, agent, problem, incident):
    services.link_incidents(problem, by=agent, incidents=[incident])
    html = agent_client.get(incident.get_absolute_url()).content.decode()
    assert problem.number in html and "Restart the mail relay" in html


def test_incident_queue_offers_linking_ticked_incidents_to_a_problem(agent_client, problem, desk, end_user):
    numbers = [make_incident(end_user, short_description=f"VPN drops {i}").number for i in range(2)]
    queue = agent_client.get(reverse("incidents:agent-queue"), {"view": "open"}).content.decode()
    assert f'formaction="{reverse("problems:link-any")}"' in queue
    # The button submits the queue's ticked "numbers" to the picker page with GET.
    picker = agent_client.get(reverse("problems:link-any"), {"numbers": numbers})
    assert picker.status_code == 200
    for number in numbers:
        assert number in picker.content.decode()
