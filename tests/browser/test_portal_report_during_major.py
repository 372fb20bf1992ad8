"""Issue 11, defect 1: while a major incident is announced on the portal, an end user who has not
joined it can still report an incident from the report page, and can say "This affects me too"
from that same page. The banner's form used to be nested in the report form, so "Send" submitted
nothing useful and "This affects me too" answered 400."""

import pytest

from incidents import major
from incidents.choices import MajorState
from incidents.models import Incident, MajorAffectedUser
from notifications.models import Notification
from tests.browser.conftest import sign_in
from tests.incidents.factories import make_incident
from tests.incidents.major_support import fast_passwords, make_service  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]


def _announced_major(new_page, desk, caller, agent) -> Incident:
    """The incident manager accepts a proposed major incident with a portal banner, in the browser."""
    service = make_service("E-mail", desk)
    incident = make_incident(caller, short_description="Outlook cannot connect", service=service)
    major.propose_major(incident, by=agent, reason="Nobody in the company can send e-mail.")
    manager = new_page()
    sign_in(manager, "incident_manager", "pw-incident_manager")
    manager.goto(f"/agent/incidents/{incident.number}/major/")
    manager.get_by_label("Title shown to end users").fill("E-mail outage")
    assert manager.get_by_label("Announce on the portal").is_checked()
    manager.get_by_role("button", name="Accept as major incident").click()
    assert manager.get_by_text("is a major incident now").is_visible()
    incident.refresh_from_db()
    assert incident.major_state == MajorState.ACCEPTED
    return incident


def test_end_user_reports_an_incident_while_a_major_incident_banner_is_shown(
    new_page, desk, end_user, other_end_user, agent, incident_manager
):
    _announced_major(new_page, desk, other_end_user, agent)

    portal = new_page()
    sign_in(portal, "end_user", "pw-end_user")
    portal.goto("/portal/incidents/new/")
    banner = portal.get_by_role("alert")
    assert "E-mail outage" in banner.inner_text()
    assert banner.get_by_role("button", name="This affects me too").is_visible()
    portal.get_by_label("What is the problem?").fill("My printer prints blank pages")
    portal.get_by_label("Details").fill("Since this morning, on floor 3.")
    portal.get_by_label("It slows my work down").check()
    portal.get_by_role("button", name="Send").click()

    assert portal.get_by_text("Thank you. Your incident").is_visible()
    reported = Incident.objects.get(caller=end_user)
    assert reported.short_description == "My printer prints blank pages"
    assert reported.description == "Since this morning, on floor 3."
    assert portal.url.endswith(f"/portal/incidents/{reported.number}/")
    assert not MajorAffectedUser.objects.filter(user=end_user).exists()
    # The caller's acknowledgement is in the outbox, written with the incident.
    assert Notification.objects.filter(
        template="incident_created", address="end_user@example.com", context__number=reported.number
    ).exists()


def test_end_user_says_this_affects_me_too_from_the_report_page(
    new_page, desk, end_user, other_end_user, agent, incident_manager
):
    incident = _announced_major(new_page, desk, other_end_user, agent)

    portal = new_page()
    sign_in(portal, "end_user", "pw-end_user")
    portal.goto("/portal/incidents/new/")
    portal.get_by_label("What is the problem?").fill("E-mail does not work")
    response = None
    with portal.expect_navigation() as navigation:
        portal.get_by_role("alert").get_by_role("button", name="This affects me too").click()
    response = navigation.value
    assert response is not None and response.status == 200
    assert portal.get_by_text("You are following this major incident").is_visible()
    assert MajorAffectedUser.objects.filter(user=end_user, major__incident=incident).exists()
    assert not Incident.objects.filter(caller=end_user).exists()  # followed, no duplicate ticket
