"""An agent proposes a major incident, the incident manager accepts it and posts a public update,
an end user sees the portal banner, says "this affects me too" and receives the next update."""

import pytest

from incidents.choices import MajorState
from incidents.models import Incident, MajorAffectedUser
from notifications.models import Notification
from tests.browser.conftest import sign_in
from tests.conftest import make_user
from tests.incidents.factories import make_incident
from tests.incidents.major_support import fast_passwords, make_service  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]


def test_propose_accept_update_banner_join_and_next_update(new_page, desk, end_user, agent, incident_manager):
    service = make_service("E-mail", desk)
    incident = make_incident(end_user, short_description="Outlook cannot connect", service=service)
    affected = make_user("affected_user", organization=end_user.organization)

    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.goto(f"/agent/incidents/{incident.number}/major/")
    page.get_by_label("Why is this a major incident?").fill("Nobody in the company can send e-mail.")
    page.get_by_role("button", name="Propose as major incident").click()
    assert page.get_by_text("is proposed as a major incident").is_visible()
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED

    manager = new_page()
    sign_in(manager, "incident_manager", "pw-incident_manager")
    manager.get_by_role("link", name="Major incidents").first.click()
    manager.get_by_role("link", name=incident.number).click()
    manager.get_by_label("Title shown to end users").fill("E-mail outage")
    manager.get_by_role("button", name="Accept as major incident").click()
    assert manager.get_by_text("is a major incident now").is_visible()
    manager.get_by_label("Status update").fill("We are working with the vendor.")
    manager.get_by_role("button", name="Post status update").click()
    assert manager.get_by_text("The status update is posted").is_visible()

    portal = new_page()
    sign_in(portal, "affected_user", "pw-affected_user")
    banner = portal.get_by_role("alert")
    assert "E-mail outage" in banner.inner_text()
    banner.get_by_role("button", name="This affects me too").click()
    assert portal.get_by_text("You are following this major incident").is_visible()
    assert portal.get_by_text("We are working with the vendor.").is_visible()
    assert MajorAffectedUser.objects.filter(user=affected, major__incident=incident).exists()
    assert not Incident.objects.filter(caller=affected).exists()  # followed, no duplicate ticket

    manager.get_by_label("Status update").fill("Mail flows again; clearing queues.")
    manager.get_by_role("button", name="Post status update").click()
    assert manager.get_by_text("Mail flows again; clearing queues.").is_visible()
    received = Notification.objects.filter(
        template="major_status_update", address="affected_user@example.com"
    )
    assert [row.context["body"] for row in received] == ["Mail flows again; clearing queues."]

    portal.reload()
    assert portal.get_by_text("Mail flows again; clearing queues.").is_visible()
