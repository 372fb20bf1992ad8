"""Pages of the major-incident procedure: board, room/panel, acknowledge link, portal banner and
status page, review; permission scope and query counts."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.panels import render_panels
from incidents import major
from incidents.choices import MajorState
from incidents.major_choices import StepState
from incidents.models import Incident, MajorAffectedUser, MajorIncident
from tests.conftest import make_user
from tests.incidents.factories import make_incident
from tests.incidents.major_support import (  # noqa: F401 (fast_passwords is a fixture)
    accepted_major,
    fast_passwords,
    make_service,
    outbox,
    three_level_policy,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def signed_in(client, user):
    client.force_login(user)
    return client


def test_agent_proposes_from_the_room_and_errors_are_shown_not_500(client, desk, end_user, agent):
    incident = make_incident(end_user)
    signed_in(client, agent)
    url = reverse("major:propose", args=[incident.number])
    response = client.post(url, {"propose-reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"propose-reason": "Whole office offline."})
    assert response.status_code == 302 and response.url == reverse("major:room", args=[incident.number])
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED


def test_agent_cannot_accept_through_the_page(client, desk, end_user, agent):
    incident = make_incident(end_user)
    major.propose_major(incident, by=agent, reason="Whole office offline.")
    signed_in(client, agent)
    page = client.get(reverse("major:room", args=[incident.number])).content.decode()
    assert "Accept as major incident" not in page
    response = client.post(reverse("major:accept", args=[incident.number]), {"accept-cadence_minutes": "30"})
    assert response.status_code == 400
    assert "Only an incident manager" in response.content.decode()
    incident.refresh_from_db()
    assert incident.major_state == MajorState.PROPOSED


def test_incident_manager_accepts_and_posts_an_update_then_returns_to_next(
    client, desk, end_user, agent, incident_manager
):
    incident = make_incident(end_user)
    major.propose_major(incident, by=agent, reason="Whole office offline.")
    signed_in(client, incident_manager)
    detail = incident.get_absolute_url()
    response = client.post(
        reverse("major:accept", args=[incident.number]),
        {
            "accept-cadence_minutes": "15",
            "accept-public_title": "Office network outage",
            "accept-show_banner": "on",
            "next": detail,
        },
    )
    assert response.status_code == 302 and response.url == detail
    record = MajorIncident.objects.get(incident=incident)
    assert record.cadence == timedelta(minutes=15) and record.public_title == "Office network outage"
    response = client.post(
        reverse("major:post-update", args=[incident.number]),
        {
            "update-body": "Switch replaced, testing.",
            "update-visibility": "public",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302 and response.url == reverse("major:room", args=[incident.number])
    assert outbox("major_status_update").filter(address="end_user@example.com").exists()


def test_panel_on_the_incident_detail_page_offers_proposal_to_agents_only(
    desk, end_user, agent, incident_manager
):
    incident = make_incident(end_user)
    request = RequestFactory().get(incident.get_absolute_url())
    request.user = agent
    html = "".join(render_panels("incident-agent", request, incident))
    assert "Propose as major incident" in html and "Declare major incident" not in html
    request.user = incident_manager
    assert "Declare major incident" in "".join(render_panels("incident-agent", request, incident))
    request.user = end_user
    assert "Major incident" not in "".join(render_panels("incident-agent", request, incident))


def test_board_lists_active_majors_with_counts_in_constant_queries(
    client, desk, end_user, other_end_user, agent, incident_manager, django_assert_max_num_queries
):
    first = accepted_major(end_user, proposer=agent, manager=incident_manager)
    major.link_child(first.incident, by=agent, child=make_incident(other_end_user))
    signed_in(client, agent)
    with django_assert_max_num_queries(12) as one:
        response = client.get(reverse("major:board"))
    page = response.content.decode()
    assert first.incident.number in page and "Incident Manager" in page
    for _ in range(4):
        accepted_major(other_end_user, proposer=agent, manager=incident_manager)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("major:board"))
    assert response.content.decode().count('/major/"') >= 5


def test_board_flags_an_overdue_update(client, desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    MajorIncident.objects.filter(pk=record.pk).update(
        next_update_due_at=timezone.now() - timedelta(minutes=1)
    )
    signed_in(client, agent)
    assert "major-overdue" in client.get(reverse("major:board")).content.decode()


def test_end_users_get_no_agent_pages(client, desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    signed_in(client, end_user)
    assert client.get(reverse("major:board")).status_code == 403
    assert client.get(reverse("major:room", args=[record.incident.number])).status_code == 403
    response = client.post(reverse("major:post-update", args=[record.incident.number]), {"update-body": "x"})
    assert response.status_code == 403


def test_portal_banner_join_and_status_page_show_public_updates_only(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="E-mail outage")
    major.post_status_update(record.incident, by=incident_manager, body="Public: we are on it.", public=True)
    major.post_status_update(
        record.incident, by=incident_manager, body="Internal: vendor blamed.", public=False
    )
    follower = make_user("follower")
    signed_in(client, follower)
    home = client.get(reverse("portal-home")).content.decode()
    assert "E-mail outage" in home and "This affects me too" in home
    response = client.post(reverse("major:portal-join", args=[record.incident.number]))
    assert response.status_code == 302
    assert MajorAffectedUser.objects.filter(major=record, user=follower).exists()
    page = client.get(reverse("major:portal-detail", args=[record.incident.number])).content.decode()
    assert "Public: we are on it." in page and "Internal" not in page
    assert "You are following this major incident" in page
    assert "You are following this" in client.get(reverse("portal-home")).content.decode()


def test_portal_status_page_is_404_for_unannounced_or_non_major_incidents(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    hidden = accepted_major(end_user, proposer=agent, manager=incident_manager, show_banner=False)
    plain = make_incident(end_user)
    signed_in(client, other_end_user)
    assert client.get(reverse("major:portal-detail", args=[hidden.incident.number])).status_code == 404
    assert (
        client.get(
            reverse("major:portal-detail", args=[plain.incident.number if False else plain.number])
        ).status_code
        == 404
    )
    assert client.post(reverse("major:portal-join", args=[hidden.incident.number])).status_code == 404
    assert "This affects me too" not in client.get(reverse("portal-home")).content.decode()


def test_report_form_banner_shows_only_the_chosen_services_major(desk, end_user, agent, incident_manager):
    mail, vpn = make_service("E-mail", desk), make_service("VPN", desk)
    accepted_major(
        end_user, proposer=agent, manager=incident_manager, service=mail, public_title="Mail outage"
    )
    request = RequestFactory().get("/portal/incidents/new/")
    request.user = end_user
    assert "Mail outage" in "".join(render_panels("incident-report-page", request, mail))
    assert "Mail outage" not in "".join(render_panels("incident-report-page", request, vpn))
    request = RequestFactory().get("/portal/incidents/new/", {"service": str(mail.pk)})
    request.user = end_user
    assert "Mail outage" in "".join(render_panels("incident-report-page", request, None))
    # The banner carries its own form, so it never renders inside the report form.
    assert "Mail outage" not in "".join(render_panels("incident-report-form", request, None))


def test_report_page_with_a_banner_nests_no_form_and_both_forms_work(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    """Issue 11, defect 1: the banner's form sat inside the report form; Send and "This affects me
    too" both submitted the wrong form."""
    from tests.html_checks import nested_forms

    mail = make_service("E-mail", desk)
    accepted = accepted_major(
        other_end_user, proposer=agent, manager=incident_manager, service=mail, public_title="Mail outage"
    )
    signed_in(client, end_user)
    page = client.get(reverse("incidents:portal-report"))
    html = page.content.decode()
    assert page.status_code == 200 and "Mail outage" in html and "This affects me too" in html
    assert nested_forms(html) == []
    report_form_start = html.index('enctype="multipart/form-data"')
    assert html.index("This affects me too") < report_form_start

    response = client.post(
        reverse("incidents:portal-report"),
        {"short_description": "Outlook says disconnected", "description": "Since 9.", "urgency": "2"},
    )
    assert response.status_code == 302
    assert Incident.objects.filter(caller=end_user, short_description="Outlook says disconnected").exists()

    response = client.post(reverse("major:portal-join", args=[accepted.incident.number]))
    assert response.status_code == 302
    assert MajorAffectedUser.objects.filter(major=accepted, user=end_user).exists()


def test_acknowledge_link_get_only_asks_and_post_records(
    client, desk, end_user, agent, other_group_agent, incident_manager
):
    three_level_policy(agent, other_group_agent)
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    url = outbox("major_escalation").get().context["ack_url"].replace("http://127.0.0.1:8000", "")
    page = client.get(url)
    assert page.status_code == 200 and "Acknowledge" in page.content.decode()
    record.refresh_from_db()
    assert record.acknowledged_at is None  # a mail scanner following the link acknowledges nothing
    response = client.post(url)
    assert response.status_code == 200 and "escalation has stopped" in response.content.decode()
    record.refresh_from_db()
    assert record.acknowledged_by == agent
    assert set(record.steps.values_list("state", flat=True)) == {StepState.NOTIFIED, StepState.CANCELLED}
    assert "Already acknowledged" in client.get(url).content.decode()
    assert client.get(url[:-3] + "xx/").status_code == 404


def test_acknowledge_button_only_for_paged_users(
    client, desk, end_user, agent, other_group_agent, incident_manager
):
    three_level_policy(agent, other_group_agent)
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    url = reverse("major:acknowledge", args=[record.incident.number])
    signed_in(client, other_group_agent)
    client.post(url)
    record.refresh_from_db()
    assert record.acknowledged_at is None
    signed_in(client, agent)
    room = client.get(reverse("major:room", args=[record.incident.number])).content.decode()
    assert 'action="' + url + '"' in room
    client.post(url)
    record.refresh_from_db()
    assert record.acknowledged_by == agent


def test_resolve_with_children_and_review_pages(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    child = make_incident(other_end_user)
    signed_in(client, agent)
    client.post(
        reverse("major:link-child", args=[record.incident.number]), {"child-number": child.number.lower()}
    )
    child.refresh_from_db()
    assert child.parent_id == record.incident_id
    response = client.post(
        reverse("major:link-child", args=[record.incident.number]), {"child-number": "INC9"}
    )
    assert response.status_code == 400 and "No incident has that number." in response.content.decode()
    signed_in(client, incident_manager)
    response = client.post(
        reverse("major:resolve", args=[record.incident.number]),
        {
            "resolve-resolution_code": "solution_provided",
            "resolve-resolution_notes": "Fixed.",
            "resolve-resolve_children": "on",
        },
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.state == "resolved"
    review_url = reverse("major:review", args=[record.incident.number])
    page = client.get(review_url).content.decode()
    assert "Accepted as major incident" in page  # the draft timeline summary
    response = client.post(
        review_url, {"timeline_summary": "t", "root_cause": "Bad switch", "actions": "Replace"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.review.root_cause == "Bad switch"


def test_agent_home_widget_lists_active_majors_and_proposals(client, desk, end_user, agent, incident_manager):
    accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="Mail outage")
    major.propose_major(make_incident(end_user), by=agent, reason="Printer fleet down")
    signed_in(client, agent)
    page = client.get(reverse("agent-home")).content.decode()
    assert "Mail outage" in page and "1 proposal awaits a decision" in page
    assert reverse("major:board") in page  # also in the navigation


def test_stakeholder_form_rejects_two_targets(client, desk, end_user, agent, incident_manager):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager)
    signed_in(client, agent)
    response = client.post(
        reverse("major:add-stakeholder", args=[record.incident.number]),
        {"stakeholder-user": str(agent.pk), "stakeholder-address": "x@example.com"},
    )
    assert response.status_code == 400
    assert not record.stakeholders.exists()
    holder_user = make_user("cio")
    client.post(
        reverse("major:add-stakeholder", args=[record.incident.number]),
        {"stakeholder-user": str(holder_user.pk)},
    )
    holder = record.stakeholders.get()
    client.post(reverse("major:remove-stakeholder", args=[record.incident.number, holder.pk]))
    assert not record.stakeholders.exists()


def test_swedish_user_sees_the_banner_in_swedish(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="E-post nere")
    signed_in(client, other_end_user)  # language sv
    page = client.get(reverse("portal-home")).content.decode()
    assert "Detta berör mig också" in page and "Större incident" in page


def test_major_incident_catalogue_is_compiled_and_current():
    from pathlib import Path

    po = Path(__file__).resolve().parents[2] / "incidents/major_locale/sv/LC_MESSAGES/django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime + 1 >= po.stat().st_mtime, "run 'make messages'"


def test_admin_enters_the_escalation_wait_in_minutes(client, admin, agent):
    from incidents.models import EscalationLevel, EscalationPolicy

    client.force_login(admin)
    response = client.post(
        "/admin/incidents/escalationpolicy/add/",
        {
            "name": "Night shift",
            "is_active": "on",
            "levels-TOTAL_FORMS": "1",
            "levels-INITIAL_FORMS": "0",
            "levels-0-order": "1",
            "levels-0-delay_minutes": "2.5",
            "levels-0-users": [str(agent.pk)],
            "levels-0-oncall_language": "en",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    level = EscalationLevel.objects.get(policy=EscalationPolicy.objects.get(name="Night shift"))
    assert level.delay == timedelta(seconds=150) and list(level.users.all()) == [agent]


def test_callers_of_the_major_and_its_children_are_not_asked_to_join(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="Mail outage")
    major.link_child(record.incident, by=agent, child=make_incident(other_end_user))
    for user in (end_user, other_end_user):
        signed_in(client, user)
        page = client.get(reverse("portal-home")).content.decode()
        assert "Mail outage" in page and 'action="/portal/major-incidents/' not in page


def test_portal_incident_of_a_child_points_to_the_major_status_page(
    desk, end_user, other_end_user, agent, incident_manager
):
    record = accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="Mail outage")
    child = make_incident(other_end_user)
    major.link_child(record.incident, by=agent, child=child)
    request = RequestFactory().get(child.get_portal_url())
    request.user = other_end_user
    html = "".join(render_panels("incident-portal", request, child))
    assert reverse("major:portal-detail", args=[record.incident.number]) in html
    assert "major-incidents/" + record.incident.number + "/affects-me/" not in html
    assert render_panels("incident-portal", request, make_incident(other_end_user)) == []


def test_agent_opens_a_child_incident_after_a_status_update_and_sees_the_major_status(
    client, desk, end_user, other_end_user, agent, incident_manager
):
    """Issue 11, defect 2: the child's timeline entry of a public update carries data {"major": …},
    a reverse relation without a verbose name; the agent page answered 500."""
    accepted = accepted_major(end_user, proposer=agent, manager=incident_manager, public_title="Mail outage")
    child = make_incident(other_end_user, short_description="No new mail since 8")
    major.link_child(accepted.incident, by=incident_manager, child=child)
    major.post_status_update(
        accepted.incident, by=incident_manager, body="The vendor is restoring the gateway.", public=True
    )
    signed_in(client, agent)
    response = client.get(reverse("incidents:agent-detail", args=[child.number]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'Child of major incident <a href="{accepted.incident.get_absolute_url()}">' in html
    assert "Active major incident" in html and "Mail outage" in html
    assert "The vendor is restoring the gateway." in html
    # A child of an active major incident is not itself proposed as one.
    assert "Propose as major incident" not in html


def test_agent_opens_the_seeded_demo_major_incident_and_its_children(client, agent):
    from core import demo as core_demo
    from incidents import major_demo

    major_demo.seed(core_demo.seed())
    parent = MajorIncident.objects.get(incident__short_description=major_demo.TITLE).incident
    children = list(parent.children.all())
    assert len(children) == 2
    signed_in(client, agent)
    for incident in [parent, *children]:
        response = client.get(reverse("incidents:agent-detail", args=[incident.number]))
        assert response.status_code == 200, incident.number
    assert "Next update within 30 minutes." in response.content.decode()
