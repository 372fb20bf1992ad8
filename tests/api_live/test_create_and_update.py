"""Create and update calls of every API resource, through a real WSGI server.

Each test asserts what a pipeline sees on the wire (status, ``Location``, ``ETag``, body) and then
the database: a create that answered an error must not have written, one that answered 201 wrote
exactly one row, and ``Location`` points at that row's detail URL.
"""

from __future__ import annotations

import pytest

from changes.models import ChangeRequest
from incidents import major
from incidents.models import Attachment, Incident, IncidentTimelineEntry, MajorStatusUpdate
from knowledge.models import Article
from problems.models import Problem, ProblemTask
from slm.models import Service
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db(transaction=True)


def assert_created(response, live, collection: str) -> dict:
    """201 with a JSON body and ``Location`` at the created object's detail URL."""
    assert response.status == 201, (response.status, response.raw[:500])
    location = response.header("Location")
    assert location == f"{live.url}{collection}{response.body['number']}/", location
    return response.body


def test_incident_create_and_patch_with_if_match(live, agent, end_user, desk, service_desk_group):
    client = live(agent)
    response = client.post(
        "/api/v1/incidents/",
        {"short_description": "Outlook cannot connect", "caller": end_user.username, "impact": 2},
    )
    body = assert_created(response, live, "/api/v1/incidents/")
    assert response.header("ETag") == f'"{body["number"]}-v1"'
    incident = Incident.objects.get()
    assert incident.number == body["number"] and incident.caller == end_user

    read = client.get(f"/api/v1/incidents/{incident.number}/")
    assert read.status == 200 and read.header("ETag") == f'"{incident.number}-v1"'
    patched = client.patch(
        f"/api/v1/incidents/{incident.number}/",
        {"short_description": "Outlook cannot connect on floor 2"},
        headers={"If-Match": read.header("ETag")},
    )
    assert patched.status == 200, patched.raw[:500]
    assert patched.body["short_description"] == "Outlook cannot connect on floor 2"
    incident.refresh_from_db()
    assert incident.short_description == "Outlook cannot connect on floor 2" and incident.version == 2
    assert patched.header("ETag") == incident.etag

    stale = client.patch(
        f"/api/v1/incidents/{incident.number}/",
        {"short_description": "Lost update"},
        headers={"If-Match": read.header("ETag")},
    )
    assert stale.status == 412 and stale.body["etag"] == incident.etag
    incident.refresh_from_db()
    assert incident.short_description == "Outlook cannot connect on floor 2"


def test_end_user_reports_an_incident(live, end_user, desk):
    response = live(end_user).post("/api/v1/incidents/", {"short_description": "VPN drops every hour"})
    body = assert_created(response, live, "/api/v1/incidents/")
    assert Incident.objects.get(number=body["number"]).caller == end_user


def test_incident_comment(live, agent, end_user, desk):
    incident = make_incident(end_user)
    response = live(end_user).post(
        f"/api/v1/incidents/{incident.number}/comments/",
        {"body": "It happens again."},
        headers={"If-Match": incident.etag},
    )
    assert response.status == 201, response.raw[:500]
    assert response.body["body"] == "It happens again."
    entry = IncidentTimelineEntry.objects.get(ticket=incident, kind="comment")
    assert entry.body == "It happens again." and entry.author == end_user and entry.is_public


def test_incident_attachment_upload_is_idempotent(live, end_user, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    incident = make_incident(end_user)
    client = live(end_user)
    upload = {"filename": "error.log", "content": b"E42 paper jam\n", "content_type": "text/plain"}
    path = f"/api/v1/incidents/{incident.number}/attachments/"
    first = client.upload(path, **upload, headers={"Idempotency-Key": "upload-1"})
    assert first.status == 201, first.raw[:500]
    assert first.body["filename"] == "error.log"
    again = client.upload(path, **upload, headers={"Idempotency-Key": "upload-1"})
    assert again.status == 201 and again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"
    other = client.upload(path, **{**upload, "content": b"E43\n"}, headers={"Idempotency-Key": "upload-1"})
    assert other.status == 422
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.filename == "error.log" and attachment.uploaded_by == end_user


def test_change_create_and_patch_with_if_match(live, agent, desk):
    client = live(agent)
    response = client.post(
        "/api/v1/changes/",
        {
            "change_type": "normal",
            "short_description": "Upgrade Exchange",
            "planned_start": "2030-01-06T02:00:00+01:00",
            "planned_end": "2030-01-06T04:00:00+01:00",
        },
    )
    body = assert_created(response, live, "/api/v1/changes/")
    assert response.header("ETag") == '"1"'
    change = ChangeRequest.objects.get()
    assert change.number == body["number"] and change.opened_by == agent

    patched = client.patch(
        f"/api/v1/changes/{change.number}/",
        {"short_description": "Upgrade Exchange to CU14"},
        headers={"If-Match": '"1"'},
    )
    assert patched.status == 200, patched.raw[:500]
    assert patched.body["short_description"] == "Upgrade Exchange to CU14"
    change.refresh_from_db()
    assert change.short_description == "Upgrade Exchange to CU14"
    assert patched.header("ETag") == f'"{change.version}"'

    stale = client.patch(
        f"/api/v1/changes/{change.number}/", {"short_description": "Lost"}, headers={"If-Match": '"1"'}
    )
    assert stale.status == 412
    change.refresh_from_db()
    assert change.short_description == "Upgrade Exchange to CU14"


def test_problem_create_and_patch_with_if_match(live, agent, desk):
    client = live(agent)
    response = client.post("/api/v1/problems/", {"short_description": "Mail queue stalls nightly"})
    body = assert_created(response, live, "/api/v1/problems/")
    problem = Problem.objects.get()
    assert problem.number == body["number"] and problem.opened_by == agent
    assert response.header("ETag") == problem.etag

    patched = client.patch(
        f"/api/v1/problems/{problem.number}/",
        {"description": "Queue grows after the 02:00 backup."},
        headers={"If-Match": problem.etag},
    )
    assert patched.status == 200, patched.raw[:500]
    problem.refresh_from_db()
    assert problem.description == "Queue grows after the 02:00 backup."
    assert patched.header("ETag") == problem.etag

    task = client.post(
        "/api/v1/problem-tasks/",
        {"problem": problem.number, "short_description": "Collect queue metrics"},
    )
    assert_created(task, live, "/api/v1/problem-tasks/")
    assert ProblemTask.objects.get().problem == problem


def test_knowledge_article_create_and_patch_with_if_match(live, agent, desk):
    client = live(agent)
    response = client.post(
        "/api/v1/kb/articles/",
        {"title": "Reset your VPN token", "body": "Open the portal and press **Reset**."},
    )
    body = assert_created(response, live, "/api/v1/kb/articles/")
    article = Article.objects.get()
    assert article.number == body["number"] and article.author == agent

    patched = client.patch(
        f"/api/v1/kb/articles/{article.number}/",
        {"title": "Reset your VPN token (2FA)"},
        headers={"If-Match": response.header("ETag")},
    )
    assert patched.status == 200, patched.raw[:500]
    article.refresh_from_db()
    assert article.title == "Reset your VPN token (2FA)"
    stale = client.patch(
        f"/api/v1/kb/articles/{article.number}/",
        {"title": "Lost update"},
        headers={"If-Match": response.header("ETag")},
    )
    assert stale.status == 412
    article.refresh_from_db()
    assert article.title == "Reset your VPN token (2FA)"


def test_major_incident_status_update(live, agent, incident_manager, end_user, desk):
    service = Service.objects.create(name="E-mail", desk=desk)
    incident = make_incident(end_user, short_description="E-mail is down", service=service)
    major.propose_major(incident, by=agent, reason="Nobody can send or receive e-mail.")
    major.accept_major(incident, by=incident_manager)
    response = live(incident_manager).post(
        f"/api/v1/major-incidents/{incident.number}/updates/",
        {"body": "Failover to the secondary site in progress.", "visibility": "public"},
    )
    assert response.status == 201, response.raw[:500]
    assert response.body["body"] == "Failover to the secondary site in progress."
    update = MajorStatusUpdate.objects.get()
    assert update.body == "Failover to the secondary site in progress."
    assert update.posted_by == incident_manager
