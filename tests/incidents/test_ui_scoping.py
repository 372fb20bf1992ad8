"""Scope through every UI page: an end user cannot read or write another user's incident, by any
URL, and never sees internal work notes or internal files. Downloads are never rendered inline."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents import services
from incidents.choices import State
from incidents.models import Attachment
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def theirs(desk, other_end_user, agent):
    """other_end_user's resolved incident, with a public and an internal file."""
    incident = make_incident(other_end_user, short_description="Globex payroll export fails")
    services.add_comment(incident, by=agent, body="Internal: DB lock", public=False)
    services.resolve_incident(incident, by=agent, resolution_code="solution_provided", resolution_notes="ok")
    incident.refresh_from_db()
    return incident


def attach(incident, by, *, public, name="file.txt"):
    return services.add_attachment(incident, by=by, public=public, upload=SimpleUploadedFile(name, b"data"))


def portal_url(name, incident):
    return reverse(f"incidents:{name}", kwargs={"number": incident.number})


def test_end_user_cannot_read_or_write_other_users_incident_through_any_page(client, end_user, agent, theirs):
    public_file = attach(theirs, agent, public=True)
    client.force_login(end_user)
    before = (theirs.version, theirs.timeline.count(), Attachment.objects.count())

    assert client.get(portal_url("portal-detail", theirs)).status_code == 404
    assert client.get(portal_url("portal-detail", theirs).lower()).status_code == 404
    assert client.post(portal_url("portal-comment", theirs), {"body": "hi"}).status_code == 404
    upload = SimpleUploadedFile("x.txt", b"x")
    assert client.post(portal_url("portal-comment", theirs), {"files": [upload]}).status_code == 404
    assert client.post(portal_url("portal-accept", theirs)).status_code == 404
    assert client.post(portal_url("portal-reject", theirs), {"reason": "no"}).status_code == 404
    assert client.post(portal_url("portal-rate", theirs), {"score": 1}).status_code == 404
    assert client.get(reverse("incidents:attachment", args=[public_file.pk])).status_code == 404
    # The agent area is closed to end users altogether.
    assert client.get(portal_url("agent-detail", theirs)).status_code == 403
    for name in ("agent-comment", "agent-attach", "agent-transition", "agent-assign", "agent-edit"):
        assert client.post(portal_url(name, theirs), {"body": "x"}).status_code == 403
    # Lists do not show it either.
    for params in ({}, {"status": "all"}, {"status": "all", "scope": "organization"}):
        html = client.get(reverse("incidents:portal-list"), params).content.decode()
        assert theirs.number not in html

    theirs.refresh_from_db()
    assert theirs.state == State.RESOLVED and theirs.satisfaction is None
    assert (theirs.version, theirs.timeline.count(), Attachment.objects.count()) == before


def test_anonymous_visitor_is_sent_to_sign_in_everywhere(client, theirs, agent):
    public_file = attach(theirs, agent, public=True)
    for path in (
        portal_url("portal-detail", theirs),
        reverse("incidents:portal-list"),
        reverse("incidents:portal-report"),
        reverse("incidents:attachment", args=[public_file.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"], path
    response = client.post(portal_url("portal-comment", theirs), {"body": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not theirs.timeline.filter(body="x").exists()


def test_internal_notes_and_files_are_invisible_to_the_caller(client, other_end_user, agent, theirs):
    internal = attach(theirs, agent, public=False, name="internal.txt")
    public = attach(theirs, agent, public=True, name="public.txt")
    client.force_login(other_end_user)
    html = client.get(portal_url("portal-detail", theirs)).content.decode()
    assert "DB lock" not in html and "internal.txt" not in html and "public.txt" in html
    assert "Work note" not in html and "Internal" not in html
    assert client.get(reverse("incidents:attachment", args=[internal.pk])).status_code == 404
    assert client.get(reverse("incidents:attachment", args=[public.pk])).status_code == 200


def test_download_is_always_an_attachment_with_nosniff(client, other_end_user, agent, theirs):
    attachment = services.add_attachment(
        theirs,
        by=agent,
        public=True,
        upload=SimpleUploadedFile(
            "report <2024>.txt", b"<script>alert(1)</script>", content_type="text/html"
        ),
    )
    client.force_login(other_end_user)
    response = client.get(reverse("incidents:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "text/plain"  # from the stored name, never the upload's claim
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_agent_downloads_internal_files(client, agent, theirs):
    internal = attach(theirs, agent, public=False)
    client.force_login(agent)
    response = client.get(reverse("incidents:attachment", args=[internal.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")


def test_missing_file_on_disk_is_a_404_not_a_500(client, agent, theirs):
    attachment = attach(theirs, agent, public=True)
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(agent)
    assert client.get(reverse("incidents:attachment", args=[attachment.pk])).status_code == 404
