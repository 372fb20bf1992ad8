"""In the browser: an incident that no routing rule matches, reported in the portal, waits in the
desk's first-line queue ("My groups, unassigned") rather than only under "All open"."""

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from slm.models import Service
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unrouted_portal_incident_waits_in_my_groups_unassigned(
    new_page, desk, end_user, agent, service_desk_group
):
    desk.default_group = service_desk_group
    desk.save(update_fields=["default_group"])
    Service.objects.create(name="Accounts and access", desk=desk)

    caller = new_page()
    sign_in(caller, "end_user", "pw-end_user")
    caller.get_by_role("link", name="Report an incident").first.click()
    caller.get_by_label("What is the problem?").fill("My account is locked")
    caller.get_by_label("Service", exact=True).select_option(label="Accounts and access")
    caller.get_by_role("button", name="Send").click()
    expect(caller.get_by_role("heading", level=1)).to_contain_text("INC")
    incident = Incident.objects.get()
    assert incident.assignment_group == service_desk_group and incident.category is None

    desk_page = new_page()
    sign_in(desk_page, "agent", "pw-agent")
    desk_page.get_by_role("link", name="Incidents", exact=True).click()
    desk_page.get_by_role("link", name="My groups, unassigned").click()
    expect(desk_page.locator("#queue-results").get_by_role("link", name=incident.number)).to_be_visible()
