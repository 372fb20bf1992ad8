"""The main incident flow in a real browser: the caller reports in the portal, an agent picks the
incident up from the queue, comments and resolves, and the caller sees and accepts the resolution."""

import re

import pytest
from playwright.sync_api import expect

from incidents.choices import State
from incidents.models import Incident
from notifications.models import Notification
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_report_pick_up_comment_resolve_accept(new_page, desk, end_user, agent, service_desk_group):
    # The caller reports an incident in the portal.
    caller = new_page()
    sign_in(caller, "end_user", "pw-end_user")
    caller.get_by_role("link", name="Report an incident").first.click()
    caller.get_by_label("What is the problem?").fill("Printer on floor 3 prints blank pages")
    caller.get_by_label("Details").fill("Since the toner was changed this morning.")
    caller.get_by_label("It stops my work completely").check()
    caller.get_by_role("button", name="Send").click()
    expect(caller.get_by_role("status").or_(caller.locator(".messages"))).to_contain_text("is registered")
    incident = Incident.objects.get()
    assert (incident.caller, incident.urgency, incident.impact) == (end_user, 1, 3)
    expect(caller.get_by_role("heading", level=1)).to_contain_text(incident.number)

    # The agent finds it in the queue: the search filters the table in place (htmx, no reload).
    desk_page = new_page()
    sign_in(desk_page, "agent", "pw-agent")
    desk_page.get_by_role("link", name="Incidents", exact=True).click()
    desk_page.get_by_role("link", name="All open").click()
    desk_page.evaluate("window.__noReload = true")
    desk_page.keyboard.press("/")
    desk_page.keyboard.type("blank pages")
    expect(desk_page).to_have_url(re.compile(r"\?view=open&q=blank(\+|%20)pages&per_page=25&sort=priority$"))
    row_link = desk_page.locator("#queue-results").get_by_role("link", name=incident.number)
    expect(row_link).to_be_visible()
    desk_page.get_by_label("P3 - Moderate").check()  # impact 3 x urgency 1
    expect(desk_page).to_have_url(re.compile(r"priority=3"))
    expect(row_link).to_be_visible()
    assert desk_page.evaluate("window.__noReload") is True
    # Keyboard: leave the search box, "j" focuses the first row, Enter opens it.
    desk_page.evaluate("document.activeElement.blur()")
    desk_page.keyboard.press("j")
    expect(row_link).to_be_focused()
    desk_page.keyboard.press("Enter")
    expect(desk_page.get_by_role("heading", level=1)).to_contain_text(incident.number)

    # Picks it up, answers the caller and resolves it.
    desk_page.get_by_role("button", name="Assign to me").click()
    expect(desk_page.locator(".messages")).to_contain_text("assigned to you")
    desk_page.get_by_label("Public comment (the caller sees it and is e-mailed)").check()
    desk_page.locator("#comment-form").get_by_label("Comment", exact=True).fill(
        "A technician is on the way with a new drum."
    )
    desk_page.get_by_role("button", name="Send to caller").click()
    expect(desk_page.locator("#timeline")).to_contain_text("A technician is on the way")
    desk_page.locator("summary", has_text="Resolve").click()
    desk_page.get_by_label("Resolution code").select_option("solution_provided")
    desk_page.get_by_label("Resolution notes").fill("Replaced the imaging drum.")
    desk_page.locator("form").filter(has=desk_page.get_by_label("Resolution notes")).get_by_role(
        "button", name="Resolve"
    ).click()
    expect(desk_page.locator(".incident-head")).to_contain_text("Resolved")

    # The caller sees the comment and the resolution, and accepts it.
    caller.reload()
    expect(caller.locator("#timeline")).to_contain_text("A technician is on the way")
    expect(caller.locator(".resolution")).to_contain_text("Replaced the imaging drum.")
    caller.get_by_role("button", name="Yes, it is solved").click()
    expect(caller.locator(".incident-head")).to_contain_text("Closed")

    incident.refresh_from_db()
    assert incident.state == State.CLOSED and incident.assigned_to == agent
    assert incident.resolution_notes == "Replaced the imaging drum."
    templates = set(
        Notification.objects.filter(context__number=incident.number).values_list("template", flat=True)
    )
    assert {"incident_created", "incident_comment", "incident_resolved", "incident_closed"} <= templates


def test_agent_registers_a_call_with_priority_preview_and_group_agents(
    new_page, desk, end_user, agent, service_desk_group, network_group, other_group_agent
):
    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.goto("/agent/incidents/new/")
    expect(page.locator("#priority-preview")).to_contain_text("P5 - Planning")
    page.get_by_label("Impact").select_option("1")
    page.get_by_label("Urgency").select_option("1")
    expect(page.locator("#priority-preview")).to_contain_text("P1 - Critical")
    page.get_by_label("Caller").fill("end_user")
    page.get_by_label("Short description").fill("Cannot log in to payroll")
    page.get_by_label("Assignment group").select_option(label="Network")
    expect(page.get_by_label("Assigned to").locator("option")).to_have_count(2)
    page.get_by_label("Assigned to").select_option(label="Other Group Agent")
    page.get_by_role("button", name="Register incident").click()
    expect(page.locator(".messages")).to_contain_text("registered for End User")
    incident = Incident.objects.get()
    assert incident.priority == 1 and incident.contact_channel == "phone"
    assert incident.assigned_to == other_group_agent
