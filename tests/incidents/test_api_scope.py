"""Scope in the API: an end user reaches only their own incidents (404 otherwise, on every
endpoint), and internal work notes and files never reach an end user, in the API or by e-mail."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Attachment, Incident, IncidentTimelineEntry
from notifications.models import Notification
from notifications.services import deliver
from tests.incidents.api_support import API, detail_url, make_in_state
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads go to a per-test folder


SECRET = "Root cause: the admin password is on a post-it"


def every_endpoint(incident, attachment_id):
    """(method, path, payload, format) for every incident endpoint."""
    url = detail_url(incident)
    return [
        ("get", url, None, None),
        ("patch", url, {"short_description": "Hijacked"}, "json"),
        ("get", f"{url}comments/", None, None),
        ("post", f"{url}comments/", {"body": "Hijacked"}, "json"),
        ("get", f"{url}timeline/", None, None),
        ("get", f"{url}attachments/", None, None),
        ("post", f"{url}attachments/", {"file": SimpleUploadedFile("x.txt", b"hijack")}, "multipart"),
        ("get", f"{url}attachments/{attachment_id}/download/", None, None),
        ("post", f"{url}resolve/", {"resolution_code": "solution_provided", "resolution_notes": "x"}, "json"),
        ("post", f"{url}reopen/", {"reason": "x"}, "json"),
        ("post", f"{url}accept/", {}, "json"),
        ("post", f"{url}reject/", {"reason": "x"}, "json"),
        ("post", f"{url}assign/", {"assignment_group": None}, "json"),
        ("post", f"{url}escalate/", {"reason": "x"}, "json"),
        ("post", f"{url}rate/", {"score": 1}, "json"),
    ]


def call(client, method, path, payload, fmt):
    if payload is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, payload, format=fmt)


def test_end_user_cannot_read_or_write_another_users_incident_through_any_endpoint(
    as_user,
    end_user,
    other_end_user,
    agent,
    desk,
):
    theirs = make_in_state("resolved", caller=other_end_user, agent=agent)
    attachment = services.add_attachment(
        theirs, by=other_end_user, upload=SimpleUploadedFile("cv.pdf", b"%PDF private")
    )
    theirs.refresh_from_db()
    snapshot = (theirs.version, IncidentTimelineEntry.objects.count(), Attachment.objects.count())
    notifications = Notification.objects.count()
    client = as_user(end_user)
    missing = Incident(number="INC0999999")

    for method, path, payload, fmt in every_endpoint(theirs, attachment.pk):
        response = call(client, method, path, payload, fmt)
        assert response.status_code == 404, (method, path, response.status_code)
        # Exactly what a number that does not exist answers: nothing reveals that it exists.
        ghost = path.replace(theirs.number, missing.number)
        if payload is not None and fmt == "multipart":
            payload = {"file": SimpleUploadedFile("x.txt", b"hijack")}
        assert call(client, method, ghost, payload, fmt).json() == response.json(), path

    theirs.refresh_from_db()
    assert (theirs.version, IncidentTimelineEntry.objects.count(), Attachment.objects.count()) == snapshot
    assert Notification.objects.count() == notifications
    assert theirs.short_description != "Hijacked"


def test_list_holds_only_the_end_users_own_incidents(as_user, end_user, other_end_user, desk):
    mine = make_incident(end_user)
    make_incident(other_end_user)
    response = as_user(end_user).get(API)
    assert [row["number"] for row in response.json()["results"]] == [mine.number]
    q = as_user(end_user).get(f"{API}?q=printer")
    assert [row["number"] for row in q.json()["results"]] == [mine.number]


def test_organisation_sharing_extends_the_scope_to_colleagues(as_user, end_user, organization, desk):
    from tests.conftest import make_user

    colleague = make_user("colleague", organization=organization)
    theirs = make_incident(colleague)
    assert as_user(end_user).get(detail_url(theirs)).status_code == 404
    organization.share_tickets = True
    organization.save()
    assert as_user(end_user).get(detail_url(theirs)).status_code == 200
    # Seeing a colleague's ticket does not make you its caller: only the caller rates it.
    assert (
        as_user(end_user).post(f"{detail_url(theirs)}rate/", {"score": 5}, format="json").status_code == 403
    )


def test_internal_notes_and_files_never_reach_the_end_user_in_the_api(
    as_user,
    agent,
    end_user,
    desk,
):
    incident = make_incident(end_user)
    agent_client = as_user(agent)
    note = agent_client.post(
        f"{detail_url(incident)}comments/", {"body": SECRET, "internal": True}, format="json"
    )
    assert note.status_code == 201 and note.json()["kind"] == "work_note"
    upload = agent_client.post(
        f"{detail_url(incident)}attachments/",
        {"file": SimpleUploadedFile("root-cause.txt", SECRET.encode()), "internal": True},
        format="multipart",
    )
    assert upload.status_code == 201 and upload.json()["internal"] is True
    agent_client.post(f"{detail_url(incident)}comments/", {"body": "We are on it"}, format="json")

    # The agent sees everything.
    assert [c["body"] for c in agent_client.get(f"{detail_url(incident)}comments/").json()] == [
        SECRET,
        "We are on it",
    ]
    assert len(agent_client.get(f"{detail_url(incident)}attachments/").json()) == 1

    client = as_user(end_user)
    comments = client.get(f"{detail_url(incident)}comments/").json()
    assert [(c["kind"], c["body"], c["internal"]) for c in comments] == [("comment", "We are on it", False)]
    assert client.get(f"{detail_url(incident)}attachments/").json() == []
    download = client.get(f"{detail_url(incident)}attachments/{upload.json()['id']}/download/")
    assert download.status_code == 404
    for path in ("", "comments/", "timeline/", "attachments/"):
        response = client.get(f"{detail_url(incident)}{path}")
        assert SECRET not in response.content.decode(), path
        assert "root-cause.txt" not in response.content.decode(), path
    timeline = client.get(f"{detail_url(incident)}timeline/").json()
    assert all(entry["internal"] is False for entry in timeline)
    assert {entry["kind"] for entry in timeline} == {"created", "comment"}


def test_end_users_cannot_write_internal_notes_or_files(as_user, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(end_user)
    note = client.post(f"{detail_url(incident)}comments/", {"body": "psst", "internal": True}, format="json")
    assert note.status_code == 400 and "internal" in note.json()
    upload = client.post(
        f"{detail_url(incident)}attachments/",
        {"file": SimpleUploadedFile("a.txt", b"x"), "internal": True},
        format="multipart",
    )
    assert upload.status_code == 400 and "internal" in upload.json()
    assert not incident.timeline.filter(kind__in=["work_note", "attachment"]).exists()
    assert Attachment.objects.count() == 0


def test_internal_notes_never_reach_the_caller_by_email(
    as_user, agent, end_user, desk, service_desk_group, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)
    client = as_user(agent)
    client.post(f"{detail_url(incident)}comments/", {"body": SECRET, "internal": True}, format="json")
    client.post(f"{detail_url(incident)}comments/", {"body": "A technician comes at 2 pm."}, format="json")
    client.post(
        f"{detail_url(incident)}resolve/",
        {"resolution_code": "solution_provided", "resolution_notes": "Replaced the drum unit"},
        format="json",
    )
    for row in Notification.objects.all():
        assert deliver(row.pk) == "sent"
    to_caller = [message for message in mail.outbox if message.to == ["end_user@example.com"]]
    assert len(to_caller) == 3  # created, the public comment, resolved
    assert any("A technician comes at 2 pm." in message.body for message in to_caller)
    assert all(SECRET not in message.body and SECRET not in message.subject for message in mail.outbox)
    assert not Notification.objects.filter(context__body=SECRET).exists()
