"""Agent pages in a real browser: the home page leads with the agent's work (issue 11, defect
11); a child incident's page opens during a major incident and shows its status (defect 2); only
the incident manager or owner gets the major incident's communication controls (issue 12)."""

import pytest

from incidents import major, services
from tests.browser.conftest import sign_in
from tests.incidents.factories import make_incident
from tests.incidents.major_support import accepted_major, fast_passwords  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]


def test_agent_home_leads_with_my_work(new_page, desk, service_desk_group, end_user, agent):
    incident = make_incident(end_user, short_description="Docking station flickers")
    services.assign_incident(incident, by=agent, group=service_desk_group, assignee=agent)

    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.goto("/agent/")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings[0] == "Your work"
    assert page.locator("#count-mine").inner_text() == "1"
    assert page.get_by_role("link", name=incident.number).is_visible()
    page.get_by_role("link", name="1 My open incidents").click()
    page.wait_for_url("**/agent/incidents/?view=mine")
    assert page.get_by_role("link", name=incident.number).first.is_visible()


def test_manager_home_shows_the_desks(new_page, desk, end_user, incident_manager):
    make_incident(end_user, short_description="Printer jam")
    page = new_page()
    sign_in(page, "incident_manager", "pw-incident_manager")
    page.goto("/agent/")
    desks = page.locator("#desk-overview")
    assert desks.get_by_role("row", name=desk.name).is_visible()
    assert page.locator("#total-open").inner_text() == "1"


def test_agent_opens_a_child_incident_during_a_major_incident(
    new_page, desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="Mail outage")
    child = make_incident(other_end_user, short_description="No new mail since 8")
    major.link_child(record.incident, by=agent, child=child)
    major.post_status_update(
        record.incident, by=incident_manager, body="The vendor is restoring the gateway.", public=True
    )

    page = new_page()
    sign_in(page, "agent", "pw-agent")
    response = page.goto(f"/agent/incidents/{child.number}/")
    assert response.status == 200
    parent = page.locator("#major-parent")
    assert record.incident.number in parent.inner_text() and "Mail outage" in parent.inner_text()
    assert "The vendor is restoring the gateway." in parent.inner_text()
    parent.get_by_role("link", name="Open the major-incident room").click()
    page.wait_for_url(f"**/agent/incidents/{record.incident.number}/major/")
    # An agent who neither owns it nor holds the role follows; the manager communicates.
    assert page.get_by_role("button", name="Post status update").count() == 0
    assert page.locator("#major-conduct-note").is_visible()

    manager = new_page()
    sign_in(manager, "incident_manager", "pw-incident_manager")
    manager.goto(f"/agent/incidents/{record.incident.number}/major/")
    manager.get_by_label("Status update").fill("Mail flows again.")
    manager.get_by_role("button", name="Post status update").click()
    assert manager.get_by_text("The status update is posted").is_visible()
