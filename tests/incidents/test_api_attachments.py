"""Attachments through the API: upload (checked), list, and download as a file, never inline."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Attachment
from tests.incidents.api_support import detail_url
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads go to a per-test folder


def test_caller_uploads_lists_and_downloads_a_file(as_user, end_user, agent, desk):
    incident = make_incident(end_user)
    client = as_user(end_user)
    response = client.post(
        f"{detail_url(incident)}attachments/",
        {"file": SimpleUploadedFile("error.log", b"E42 paper jam\n", content_type="text/plain")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["filename"] == "error.log" and body["size"] == 14 and body["internal"] is False
    assert body["uploaded_by"]["id"] == end_user.pk
    assert body["download_url"].endswith(f"{detail_url(incident)}attachments/{body['id']}/download/")

    attachment = Attachment.objects.get()
    assert attachment.incident == incident and attachment.is_public
    assert not attachment.file.name.endswith("error.log.txt") and "error" not in attachment.file.name
    incident.refresh_from_db()
    assert incident.version == 2
    entry = incident.timeline.get(kind="attachment")
    assert entry.data["filename"] == "error.log" and entry.is_public

    listing = as_user(agent).get(f"{detail_url(incident)}attachments/").json()
    assert [row["filename"] for row in listing] == ["error.log"]

    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="error.log"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"E42 paper jam\n"


def test_html_is_downloaded_never_rendered_inline(as_user, agent, end_user, desk, settings):
    settings.ATTACHMENT_ALLOWED_TYPES = [".html"]
    incident = make_incident(end_user)
    attachment = services.add_attachment(
        incident, by=agent, upload=SimpleUploadedFile("page.html", b"<script>alert(1)</script>")
    )
    response = as_user(end_user).get(f"{detail_url(incident)}attachments/{attachment.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ", "not allowed"),
        ("big.txt", b"x" * 2048, "larger than"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_bad_upload_is_a_400_naming_file_and_writes_nothing(
    as_user,
    end_user,
    desk,
    settings,
    name,
    content,
    message,
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    incident = make_incident(end_user)
    response = as_user(end_user).post(
        f"{detail_url(incident)}attachments/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()
    assert message in response.json()["file"][0]
    assert Attachment.objects.count() == 0
    incident.refresh_from_db()
    assert incident.version == 1 and not incident.timeline.filter(kind="attachment").exists()


def test_missing_file_is_a_400_naming_file(as_user, end_user, desk):
    incident = make_incident(end_user)
    response = as_user(end_user).post(f"{detail_url(incident)}attachments/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_unknown_attachment_is_404(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    assert as_user(agent).get(f"{detail_url(incident)}attachments/999/download/").status_code == 404


def test_attachment_of_another_incident_is_404_under_this_one(as_user, end_user, agent, desk):
    mine, other = make_incident(end_user), make_incident(end_user)
    attachment = services.add_attachment(other, by=end_user, upload=SimpleUploadedFile("a.txt", b"x"))
    response = as_user(agent).get(f"{detail_url(mine)}attachments/{attachment.pk}/download/")
    assert response.status_code == 404
