"""Crafted input answers a 4xx that names the problem (JSON for the API, a friendly page for
pages), never a 500: NUL characters, deep JSON, forged cursors, impossible UTC offsets, bodies over
the limits, oversized texts, and the problems API's ``fix_description``."""

import base64
import json

import pytest
from django.test import Client

from core.validators import TEXT_MAX_LENGTH
from incidents.models import Incident
from problems.models import Problem
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_api(as_user, agent):
    return as_user(agent)


@pytest.fixture
def admin_api(as_user, admin):
    return as_user(admin)


@pytest.fixture
def incident(desk, end_user):
    return make_incident(end_user)


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- problems API: fix_description ---------------------------------------------------------------


def test_problem_created_through_the_api_keeps_its_fix_description(agent_api):
    response = agent_api.post(
        "/api/v1/problems/",
        {"short_description": "VPN drops on resume", "fix_description": "Client 5.3 renews the session."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["fix_description"] == "Client 5.3 renews the session."
    problem = Problem.objects.get(number=response.json()["number"])
    assert problem.fix_description == "Client 5.3 renews the session."


# --- deep JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_5000_levels_is_a_400(agent_api, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 5000 + "1" + closing * 5000
    response = agent_api.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_json_with_brackets_inside_strings_is_not_nested(agent_api, desk, end_user):
    text = "[" * 200 + " all in a string"
    response = agent_api.post(
        "/api/v1/incidents/",
        {"short_description": "Brackets", "description": text, "caller": end_user.username},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Incident.objects.get().description == text


# --- NUL characters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/portal/incidents/INC%00/",
        "/agent/incidents/INC%00/",
        "/agent/problems/PRB%00/",
        "/agent/kb/KB%00/",
        "/portal/kb/KB%00/",
        "/agent/incidents/INC%00/major/",
        "/agent/incidents/callers/?q=a%00b",
        "/agent/incidents/?assigned_to=a%00b",
        "/agent/incidents/?caller=a%00b",
    ],
)
def test_nul_in_a_page_address_is_a_friendly_400(agent, path):
    response = _client(agent).get(path)
    assert response.status_code == 400, path
    page = response.content.decode()
    assert "Bad request" in page and "Go to the start page" in page


def test_nul_in_the_portal_is_a_friendly_400_for_end_users(end_user):
    response = _client(end_user).get("/portal/incidents/INC%00/")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/incidents/INC%00/",
        "/api/v1/problems/PRB%00/",
        "/api/v1/incidents/?assigned_to=a%00b",
        "/api/v1/incidents/?caller=a%00b",
        "/api/v1/incidents/?q=a%00b",
    ],
)
def test_nul_in_an_api_address_is_a_json_400(agent_api, path):
    response = agent_api.get(path)
    assert response.status_code == 400, path
    assert "NUL" in response.json()["detail"]


def test_nul_in_a_json_user_lookup_is_a_field_error(agent_api, desk, end_user):
    response = agent_api.post(
        "/api/v1/incidents/", {"short_description": "x", "caller": "end_\x00user"}, format="json"
    )
    assert response.status_code == 400
    assert "caller" in response.json()
    response = agent_api.post(
        "/api/v1/incidents/", {"short_description": "a\x00b", "caller": end_user.username}, format="json"
    )
    assert response.status_code == 400
    assert "short_description" in response.json()
    assert not Incident.objects.exists()


# --- forged cursor --------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["abc", "1\x002", "1.5", ""])
def test_hand_made_cursor_is_a_json_404(agent_api, incident, position):
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = agent_api.get("/api/v1/incidents/", {"cursor": cursor})
    assert response.status_code in (400, 404), response.content
    assert response.json()["detail"] == "Invalid cursor"


def test_the_example_cursor_from_the_issue(agent_api, incident):
    response = agent_api.get("/api/v1/incidents/?cursor=cD1hYmM=")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_cursor_on_a_date_ordering(agent_api, incident):
    cursor = base64.b64encode(b"p=not-a-date").decode()
    response = agent_api.get("/api/v1/incidents/", {"cursor": cursor, "ordering": "-created_at"})
    assert response.status_code == 404
    # A real cursor still works.
    first = agent_api.get("/api/v1/incidents/", {"ordering": "-created_at", "page_size": 1})
    assert first.status_code == 200


# --- UTC offsets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/v1/incidents/", "created_before"),
        ("/api/v1/incidents/", "updated_after"),
        ("/api/v1/problems/", "created_after"),
        ("/api/v1/changes/", "planned_from"),
    ],
)
def test_utc_offset_beyond_postgresql_range_is_a_400_naming_the_field(admin_api, url, field):
    response = admin_api.get(url, {field: "2026-01-01T00:00:00-23:11"})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert "-15:59" in response.json()[field][0]


def test_utc_offset_within_range_filters(agent_api, incident):
    response = agent_api.get("/api/v1/incidents/", {"created_after": "2000-01-01T00:00:00+15:59"})
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [incident.number]


def test_utc_offset_on_the_agent_queue_page_is_not_a_500(agent, incident):
    response = _client(agent).get("/agent/incidents/", {"created_before": "2026-01-01T00:00:00-23:11"})
    assert response.status_code in (200, 400)


def test_change_calendar_with_an_impossible_instant_is_a_400(admin_api):
    for raw in ["2026-13-45T00:00:00", "2026-01-01T00:00:00-23:11"]:
        response = admin_api.get("/api/v1/changes/calendar/", {"from": raw, "to": "2026-02-01"})
        assert response.status_code in (200, 400), (raw, response.content)
        if response.status_code == 400:
            assert "from" in response.json()


# --- bodies over the limits -----------------------------------------------------------------------


def test_json_body_over_the_upload_limit_is_a_json_413(agent_api, settings, desk, end_user):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"short_description": "x", "caller": end_user.username, "description": "y" * 20_000})
    response = agent_api.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 413
    assert "10000 bytes" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_form_body_over_the_upload_limit_is_a_json_413(agent_api, settings, end_user):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = agent_api.post(
        "/api/v1/incidents/",
        {"short_description": "x", "caller": end_user.username, "description": "y" * 20_000},
        format="multipart",
    )
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_too_many_fields_is_a_json_400(agent_api, settings, end_user):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    fields = {f"f{n}": "1" for n in range(60)}
    response = agent_api.post("/api/v1/incidents/", fields, format="multipart")
    assert response.status_code == 400
    assert "more than 50 fields" in response.json()["detail"]
    response = agent_api.post("/api/v1/incidents/", fields, format="json")
    assert response.status_code == 400
    assert "more than 50 fields" in response.json()["detail"]


# --- size limits on text --------------------------------------------------------------------------


def test_oversized_description_through_the_api_is_a_400_naming_the_field(agent_api, desk, end_user):
    response = agent_api.post(
        "/api/v1/incidents/",
        {"short_description": "x", "caller": end_user.username, "description": "y" * (TEXT_MAX_LENGTH + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert "too long" in response.json()["description"][0]
    assert not Incident.objects.exists()


def test_text_at_the_limit_is_accepted(agent_api, desk, end_user):
    response = agent_api.post(
        "/api/v1/incidents/",
        {"short_description": "x", "caller": end_user.username, "description": "y" * TEXT_MAX_LENGTH},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_oversized_comment_through_the_api_is_a_400(agent_api, incident):
    response = agent_api.post(
        f"/api/v1/incidents/{incident.number}/comments/",
        {"body": "y" * (TEXT_MAX_LENGTH + 1), "public": False},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "too long" in json.dumps(response.json())
    assert incident.timeline.filter(kind="comment").count() == 0


def test_oversized_problem_fix_description_is_a_400(agent_api):
    response = agent_api.post(
        "/api/v1/problems/",
        {"short_description": "x", "fix_description": "y" * (TEXT_MAX_LENGTH + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert "fix_description" in response.json()
    assert not Problem.objects.exists()


def test_oversized_comment_in_the_portal_is_a_form_error(end_user, incident):
    client = _client(end_user)
    response = client.post(
        f"/portal/incidents/{incident.number}/comment/", {"body": "y" * (TEXT_MAX_LENGTH + 1)}
    )
    assert response.status_code == 400
    assert "This text is too long" in response.content.decode()
    assert incident.timeline.filter(kind="comment").count() == 0


def test_a_search_for_the_literal_text_percent_00_is_not_refused(agent, incident):
    response = _client(agent).get("/agent/incidents/callers/", {"q": "%00"})
    assert response.status_code == 200


def test_unknown_ticket_page_is_a_friendly_404(end_user):
    response = _client(end_user).get("/portal/incidents/INC9999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Go to the start page" in page
