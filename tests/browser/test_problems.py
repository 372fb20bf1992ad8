"""Problem management in the browser: resolve with the cascade dialog, open a problem from a trend."""

import pytest

from incidents.choices import State as IncidentState
from problems import services
from problems.models import Problem, ProblemCandidate
from tests.browser.conftest import sign_in
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_resolves_a_problem_and_its_incidents_from_the_dialog(new_page, agent, desk, end_user):
    problem = services.create_problem(by=agent, short_description="Mail relay drops messages")
    services.transition_problem(problem, by=agent, state="assess")
    services.transition_problem(problem, by=agent, state="root_cause_analysis")
    services.update_problem(problem, by=agent, changes={"root_cause": "Relay certificate expired"})
    services.transition_problem(problem, by=agent, state="fix_in_progress")
    incidents = [make_incident(end_user, short_description=f"Mail not delivered {i}") for i in range(2)]
    services.link_incidents(problem, by=agent, incidents=incidents)

    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.goto(problem.get_absolute_url())
    page.get_by_text("Resolve…").click()
    dialog = page.locator(".prb-resolve")
    for incident in incidents:
        assert dialog.get_by_role("link", name=incident.number).is_visible()
    dialog.get_by_label("Resolution code").select_option("fix_applied")
    dialog.get_by_label("Fix description").fill("Certificate renewed and monitored")
    assert dialog.get_by_label("Also resolve the linked open incidents").is_checked()
    dialog.get_by_role("button", name="Resolve").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("2 linked incidents were resolved").is_visible()
    problem.refresh_from_db()
    assert problem.state == "resolved"
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.state == IncidentState.RESOLVED and incident.resolution_code == "resolved_by_problem"


def test_agent_opens_a_problem_from_a_trend_candidate(new_page, agent, desk, end_user):
    incidents = [make_incident(end_user, short_description=f"Scanner sends empty PDF {i}") for i in range(3)]
    candidate = ProblemCandidate.objects.create(
        fingerprint="b" * 64,
        group_kind="ci",
        configuration_item="SCAN-02",
        title="Scanner sends empty PDF",
        member_count=3,
    )
    candidate.members.set(incidents)

    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.goto("/agent/problems/candidates/")
    page.get_by_role("link", name="Open problem").click()
    page.get_by_label("Short description").fill("Scanner SCAN-02 produces empty PDFs")
    page.get_by_label("Impact").select_option("2")
    page.get_by_role("button", name="Open problem").click()
    page.wait_for_load_state("networkidle")
    problem = Problem.objects.get()
    assert page.url.endswith(problem.get_absolute_url())
    assert page.get_by_role("heading", name="3 linked incidents").is_visible()
    assert problem.incident_links.count() == 3 and problem.configuration_item == "SCAN-02"
