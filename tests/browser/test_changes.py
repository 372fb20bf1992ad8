"""A change manager registers a normal change, a CAB member approves it from the CAB view, and
the change appears on the change calendar."""

import pytest

from changes.choices import ApprovalPolicy, ChangeState, ChangeType
from changes.models import ApprovalRule, ChangeRequest
from core.models import SupportGroup
from slm.models import Service
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cab(desk, change_manager, incident_manager, other_group_agent):
    group = SupportGroup.objects.create(name="CAB", desk=desk, line_level=3)
    group.members.add(change_manager, incident_manager, other_group_agent)
    rule = ApprovalRule.objects.create(
        name="Normal: CAB", change_type=ChangeType.NORMAL, policy=ApprovalPolicy.ANY
    )
    rule.groups.set([group])
    return group


def test_change_manager_creates_cab_member_approves_calendar_shows(
    new_page, cab, desk, change_manager, incident_manager
):
    Service.objects.create(name="E-mail", desk=desk)

    manager = new_page()
    sign_in(manager, "change_manager", "pw-change_manager")
    manager.get_by_role("link", name="Changes", exact=True).click()
    manager.get_by_role("link", name="New change", exact=True).click()
    manager.get_by_label("Type").select_option("normal")
    manager.get_by_label("Short description").fill("Upgrade the mail cluster")
    manager.get_by_label("Services").select_option(label="E-mail")
    manager.get_by_label("Configuration items").fill("mx01, mx02")
    manager.get_by_label("Planned start").fill("2030-01-06T02:00")
    manager.get_by_label("Planned end").fill("2030-01-06T04:00")
    manager.get_by_label("Implementation plan").fill("Patch one node at a time.")
    manager.get_by_label("Backout plan").fill("Restore the snapshots.")
    manager.get_by_role("button", name="Register change").click()
    manager.wait_for_load_state("networkidle")
    heading = manager.get_by_role("heading", level=1)
    assert "Upgrade the mail cluster" in heading.inner_text()
    number = heading.inner_text().split()[0]

    manager.get_by_role("button", name="Submit for assessment").click()
    manager.get_by_role("radio", name="Some users or one team").check()
    manager.get_by_role("radio", name="Low: a few simple steps").check()
    manager.get_by_role("radio", name="Yes, fully in a test environment").check()
    manager.get_by_role("radio", name="Yes, documented and feasible").check()
    manager.get_by_role("radio", name="Done many times").check()
    manager.get_by_role("button", name="Calculate and save risk").click()
    manager.wait_for_load_state("networkidle")
    assert manager.get_by_text("Risk assessed: Low.").first.is_visible()
    manager.get_by_role("button", name="Request approval").click()
    manager.wait_for_load_state("networkidle")
    assert manager.get_by_text("Approval requested.").is_visible()
    change = ChangeRequest.objects.get(number=number)
    assert change.state == ChangeState.AUTHORIZE

    member = new_page()
    sign_in(member, "incident_manager", "pw-incident_manager")
    member.get_by_role("link", name="CAB", exact=True).click()
    card = member.get_by_role("article").filter(has_text=number)
    assert card.is_visible()
    card.get_by_role("radio", name="Approve").check()
    card.get_by_label("Comment").fill("Good plan.")
    card.get_by_role("button", name="Submit decision").click()
    member.wait_for_load_state("networkidle")
    assert member.get_by_text("Your decision is recorded.").is_visible()
    assert member.get_by_text("Nothing awaits approval from you or your groups.").is_visible()
    change.refresh_from_db()
    assert change.state == ChangeState.SCHEDULED

    member.get_by_role("link", name="Change calendar").click()
    member.get_by_label("Date").fill("2030-01-06")
    member.get_by_role("button", name="Show").click()
    member.wait_for_load_state("networkidle")
    assert member.get_by_role("heading", name="January 2030").is_visible()
    entry = member.locator(".cal-change").filter(has_text=number)
    assert entry.is_visible()
    assert "02:00–04:00" in entry.inner_text()
    entry.get_by_role("link", name=number).click()
    member.wait_for_load_state("networkidle")
    assert member.get_by_text("Scheduled", exact=True).first.is_visible()
