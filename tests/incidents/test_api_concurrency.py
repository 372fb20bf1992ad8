"""Optimistic concurrency in the API: ETag on reads, If-Match on every write, 412 when stale."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.choices import State
from incidents.models import Attachment
from tests.incidents.api_support import detail_url
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads go to a per-test folder


def test_read_carries_the_etag_and_if_none_match_answers_304(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(agent)
    response = client.get(detail_url(incident))
    assert response["ETag"] == f'"{incident.number}-v1"'
    cached = client.get(detail_url(incident), HTTP_IF_NONE_MATCH=response["ETag"])
    assert cached.status_code == 304 and cached["ETag"] == response["ETag"]
    services.update_incident(incident, by=agent, changes={"urgency": 1})
    fresh = client.get(detail_url(incident), HTTP_IF_NONE_MATCH=response["ETag"])
    assert fresh.status_code == 200 and fresh["ETag"] == f'"{incident.number}-v2"'


def test_write_with_the_current_etag_succeeds_and_returns_the_next_one(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    client = as_user(agent)
    etag = client.get(detail_url(incident))["ETag"]
    response = client.patch(detail_url(incident), {"urgency": 2}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == f'"{incident.number}-v2"' and response.json()["version"] == 2
    # Weak comparison and "*" are accepted too.
    response = client.patch(
        detail_url(incident), {"urgency": 1}, format="json", HTTP_IF_MATCH=f"W/{response['ETag']}"
    )
    assert response.status_code == 200
    response = client.patch(detail_url(incident), {"impact": 2}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.urgency, incident.impact, incident.version) == (1, 2, 4)


def test_stale_write_is_a_412_naming_the_version_and_changes_nothing(
    as_user, agent, other_group_agent, end_user, desk
):
    incident = make_incident(end_user)
    mine, theirs = as_user(agent), as_user(other_group_agent)
    etag = mine.get(detail_url(incident))["ETag"]
    # Someone else changes the incident after I read it.
    assert (
        theirs.patch(detail_url(incident), {"urgency": 1}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )

    response = mine.patch(
        detail_url(incident), {"short_description": "Mine"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    body = response.json()
    assert body["version"] == 2 and body["etag"] == f'"{incident.number}-v2"'
    assert "version 2" in body["detail"] and "version 1" in body["detail"]
    assert response["ETag"] == f'"{incident.number}-v2"'
    incident.refresh_from_db()
    assert incident.short_description == "Printer on floor 3 does not print" and incident.version == 2
    assert incident.timeline.filter(kind="field_change").count() == 1


def test_unparseable_if_match_never_matches(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    other = make_incident(end_user)
    client = as_user(agent)
    for header in ("garbage", f'"{other.number}-v1"', f'"{incident.number}-v9"'):
        response = client.patch(detail_url(incident), {"urgency": 1}, format="json", HTTP_IF_MATCH=header)
        assert response.status_code == 412, header
    incident.refresh_from_db()
    assert incident.version == 1


def test_without_if_match_the_write_applies_to_the_current_version(as_user, agent, end_user, desk):
    incident = make_incident(end_user)
    services.update_incident(incident, by=agent, changes={"urgency": 2})
    response = as_user(agent).patch(detail_url(incident), {"urgency": 1}, format="json")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.urgency == 1 and incident.version == 3


def test_every_write_endpoint_checks_if_match(as_user, agent, end_user, desk, service_desk_group):
    incident = make_incident(end_user)
    stale = f'"{incident.number}-v1"'
    services.update_incident(incident, by=agent, changes={"urgency": 2})  # now at v2
    client = as_user(agent)
    url = detail_url(incident)
    writes = [
        ("post", "resolve/", {"resolution_code": "solution_provided", "resolution_notes": "x"}, "json"),
        ("post", "assign/", {"assignment_group": service_desk_group.pk}, "json"),
        ("post", "escalate/", {"reason": "slow"}, "json"),
        ("post", "comments/", {"body": "hello"}, "json"),
        ("post", "attachments/", {"file": SimpleUploadedFile("a.txt", b"data")}, "multipart"),
    ]
    for method, path, payload, fmt in writes:
        response = getattr(client, method)(f"{url}{path}", payload, format=fmt, HTTP_IF_MATCH=stale)
        assert response.status_code == 412, path
        assert response.json()["version"] == 2
    incident.refresh_from_db()
    assert incident.version == 2 and incident.state == State.NEW and incident.assignment_group is None
    assert incident.timeline.count() == 2  # created + the field change
    assert Attachment.objects.count() == 0
    # The caller's actions check it as well.
    services.resolve_incident(incident, by=agent, resolution_code="solution_provided", resolution_notes="x")
    response = as_user(end_user).post(f"{url}accept/", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
