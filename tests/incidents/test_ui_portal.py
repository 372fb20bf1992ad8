"""The self-service portal: report, my tickets (and the organisation's), the public timeline,
comments and files, accepting or rejecting a resolution, and rating it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import User
from core.panels import _REGISTRY, register_panel
from incidents import services
from incidents.choices import State
from incidents.models import Attachment, Incident
from notifications.models import Notification
from slm.models import Service
from tests.conftest import make_user
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

REPORT = reverse("incidents:portal-report")
LIST = reverse("incidents:portal-list")


def url(name, incident):
    return reverse(f"incidents:{name}", kwargs={"number": incident.number})


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def portal(client, end_user):
    client.force_login(end_user)
    return client


@pytest.fixture
def resolved(desk, end_user, agent):
    incident = make_incident(end_user)
    services.resolve_incident(
        incident,
        by=agent,
        resolution_code="solution_provided",
        resolution_notes="Replaced the toner cartridge",
    )
    incident.refresh_from_db()
    return incident


def test_report_with_urgency_in_plain_words(portal, end_user, desk, other_desk, category_tree):
    page = portal.get(REPORT)
    html = page.content.decode()
    assert "It stops my work completely" in html and "It&#x27;s an inconvenience" in html
    assert "Hardware › Printer" in html  # the category tree, with its paths
    service = Service.objects.create(name="Payroll", desk=other_desk)
    upload = SimpleUploadedFile("screen.png", b"\x89PNG....", content_type="image/png")
    response = portal.post(
        REPORT,
        {
            "short_description": "Payslip missing",
            "description": "March",
            "urgency": 1,
            "service": service.pk,
            "files": [upload],
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_portal_url()
    assert (incident.urgency, incident.impact, incident.priority) == (1, 3, 3)
    assert incident.caller == end_user and incident.contact_channel == "portal"
    assert incident.desk == other_desk  # the service's desk
    assert Attachment.objects.get().is_public
    assert Notification.objects.filter(template="incident_created", address="end_user@example.com").exists()


def test_report_without_service_goes_to_the_default_desk(portal, desk, category_tree):
    portal.post(
        REPORT, {"short_description": "Printer", "urgency": 3, "category": category_tree["Printer"].pk}
    )
    incident = Incident.objects.get()
    assert incident.desk == desk and incident.category == category_tree["Printer"] and incident.priority == 5


def test_report_bad_input_names_the_fields(portal, desk):
    response = portal.post(
        REPORT,
        {
            "short_description": "x" * 201,
            "urgency": 7,
            "category": 12345,
            "files": [SimpleUploadedFile("a.exe", b"MZ")],
        },
    )
    assert response.status_code == 400
    assert {"short_description", "urgency", "category", "files"} <= set(response.context["form"].errors)
    assert Incident.objects.count() == 0


def test_report_form_renders_the_report_panel_slot(portal, desk):
    register_panel(
        "incident-report-form",
        "kb-suggest",
        template="notifications/generic/subject.txt",
        context=lambda r, o: {"subject": "SUGGESTIONS-HERE"},
    )
    try:
        html = portal.get(REPORT).content.decode()
    finally:
        _REGISTRY["incident-report-form"].pop("kb-suggest")
    assert html.index("id_short_description") < html.index("SUGGESTIONS-HERE") < html.index("id_description")


def test_my_tickets_lists_only_mine_by_default(portal, end_user, other_end_user, desk, organization):
    mine = make_incident(end_user)
    colleague = make_user("colleague", organization=organization)
    theirs = make_incident(colleague)
    make_incident(other_end_user)
    response = portal.get(LIST)
    assert [i.number for i in response.context["rows"]] == [mine.number]
    assert "My organisation" not in response.content.decode()  # Acme does not share (yet)
    assert [i.number for i in portal.get(LIST, {"scope": "organization"}).context["rows"]] == [mine.number]
    organization.share_tickets = True
    organization.save()
    response = portal.get(LIST, {"scope": "organization"})
    assert {i.number for i in response.context["rows"]} == {mine.number, theirs.number}
    assert "Show only my tickets" in response.content.decode()


def test_my_tickets_status_tabs(portal, end_user, agent, desk, resolved):
    open_one = make_incident(end_user)
    services.close_incident(resolved, by=agent)
    assert [i.number for i in portal.get(LIST).context["rows"]] == [open_one.number]
    assert [i.number for i in portal.get(LIST, {"status": "closed"}).context["rows"]] == [resolved.number]
    assert len(portal.get(LIST, {"status": "all"}).context["rows"]) == 2


def test_my_tickets_runs_constant_number_of_queries(portal, end_user, desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        make_incident(end_user)
    portal.get(LIST)
    with CaptureQueriesContext(connection) as few:
        portal.get(LIST)
    for _ in range(17):
        make_incident(end_user)
    with CaptureQueriesContext(connection) as many:
        response = portal.get(LIST)
    assert len(response.context["rows"]) == 20 and len(few) == len(many)


def test_detail_shows_public_timeline_only(portal, agent, end_user, desk):
    incident = make_incident(end_user)
    services.add_comment(incident, by=agent, body="Root cause: expired certificate", public=False)
    services.add_comment(incident, by=agent, body="We are working on it", public=True)
    secret = services.add_attachment(
        incident, by=agent, public=False, upload=SimpleUploadedFile("internal-diagnostics.txt", b"secret")
    )
    shared = services.add_attachment(
        incident, by=agent, public=True, upload=SimpleUploadedFile("howto.pdf", b"%PDF-1.4")
    )
    services.assign_incident(
        incident, by=agent, group=agent.support_groups.first(), assignee=agent, note="internal routing note"
    )
    response = portal.get(url("portal-detail", incident))
    html = response.content.decode()
    assert response.status_code == 200
    assert "We are working on it" in html and "howto.pdf" in html
    for hidden in (
        "expired certificate",
        "internal-diagnostics.txt",
        "internal routing note",
        reverse("incidents:attachment", args=[secret.pk]),
    ):
        assert hidden not in html
    assert all(entry.is_public for entry in response.context["timeline"])
    assert [a.pk for a in response.context["attachments"]] == [shared.pk]


def test_comment_and_attach_from_the_portal(portal, end_user, agent, desk):
    incident = make_incident(end_user)
    services.put_on_hold(incident, by=agent, hold_reason="awaiting_caller", comment="Which floor?")
    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    response = portal.post(url("portal-comment", incident), {"body": "Floor 3", "files": [upload]})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS  # the caller answered
    entry = incident.timeline.get(kind="comment", body="Floor 3")
    assert entry.is_public and entry.author == end_user
    assert Attachment.objects.get(filename="photo.jpg").timeline_entry == entry
    only_file = portal.post(
        url("portal-comment", incident), {"files": [SimpleUploadedFile("log.txt", b"log")]}
    )
    assert only_file.status_code == 302 and Attachment.objects.filter(filename="log.txt", is_public=True)


def test_empty_portal_comment_is_a_field_error(portal, end_user, desk):
    incident = make_incident(end_user)
    response = portal.post(url("portal-comment", incident), {"body": ""})
    assert response.status_code == 400
    assert "body" in response.context["comment_form"].errors


def test_closed_ticket_takes_no_more_comments(portal, end_user, agent, resolved):
    services.close_incident(resolved, by=agent)
    page = portal.get(url("portal-detail", resolved)).content.decode()
    assert "Report a new incident" in page and 'id="comment-form"' not in page
    response = portal.post(url("portal-comment", resolved), {"body": "One more thing"})
    assert response.status_code == 400
    assert not resolved.timeline.filter(body="One more thing").exists()


def test_caller_sees_resolution_and_accepts_it(portal, end_user, resolved):
    html = portal.get(url("portal-detail", resolved)).content.decode()
    assert "Replaced the toner cartridge" in html and "Yes, it is solved" in html
    response = portal.post(url("portal-accept", resolved))
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.state == State.CLOSED
    assert Notification.objects.filter(template="incident_closed", context__number=resolved.number).exists()


def test_accepting_an_unresolved_incident_is_refused(portal, end_user, desk):
    incident = make_incident(end_user)
    response = portal.post(url("portal-accept", incident))
    assert response.status_code == 400
    assert "Only a resolved incident can be accepted." in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == State.NEW


def test_reject_needs_a_reason_then_reopens(portal, end_user, resolved):
    response = portal.post(url("portal-reject", resolved), {"reason": " "})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"] == ["Tell us what is still not working."]
    response = portal.post(url("portal-reject", resolved), {"reason": "Still streaks on paper"})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.state == State.IN_PROGRESS and resolved.reopen_count == 1
    html = portal.get(url("portal-detail", resolved)).content.decode()
    assert html.count("Still streaks on paper") == 1  # the reason shows once


def test_rate_resolution(portal, end_user, resolved):
    response = portal.post(url("portal-rate", resolved), {"score": 9})
    assert response.status_code == 400 and "score" in response.context["rate_form"].errors
    response = portal.post(url("portal-rate", resolved), {"score": 4, "comment": "Quick, thanks"})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert (resolved.satisfaction, resolved.satisfaction_comment) == (4, "Quick, thanks")
    assert resolved.timeline.get(kind="rating").data == {"score": 4}


def test_rating_an_open_incident_is_refused(portal, end_user, desk):
    incident = make_incident(end_user)
    response = portal.post(url("portal-rate", incident), {"score": 5})
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.satisfaction is None


def test_colleague_follows_shared_ticket_but_only_the_caller_decides(
    client, end_user, organization, resolved
):
    organization.share_tickets = True
    organization.save()
    colleague = make_user("colleague", organization=organization)
    client.force_login(colleague)
    assert client.get(url("portal-detail", resolved)).status_code == 200
    assert client.post(url("portal-comment", resolved), {"body": "Same here"}).status_code == 302
    assert client.post(url("portal-accept", resolved)).status_code == 403
    assert client.post(url("portal-reject", resolved), {"reason": "no"}).status_code == 403
    assert client.post(url("portal-rate", resolved), {"score": 1}).status_code == 403
    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED and resolved.satisfaction is None


def test_portal_detail_renders_the_portal_panel_slot(portal, end_user, desk):
    incident = make_incident(end_user)
    register_panel(
        "incident-portal",
        "expected",
        template="notifications/generic/subject.txt",
        context=lambda r, o: {"subject": f"EXPECTED-BY-{o.number}"},
    )
    try:
        html = portal.get(url("portal-detail", incident)).content.decode()
    finally:
        _REGISTRY["incident-portal"].pop("expected")
    assert f"EXPECTED-BY-{incident.number}" in html


def test_nav_entries(portal, desk):
    html = portal.get(reverse("portal-home")).content.decode()
    assert f'href="{REPORT}"' in html and f'href="{LIST}"' in html
    assert User.objects.filter(username="end_user").exists()
