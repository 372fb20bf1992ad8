"""A CI/CD pipeline records its deployment as a standard change: open from a template, start,
close with an outcome: three calls with one API token, and the change is on the calendar."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from changes.choices import ChangeState
from changes.models import ChangeRequest, ChangeTimelineEntry
from core import roles
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(db) -> APIClient:
    """The pipeline's one API token (an agent account for the deploy bot)."""
    bot = make_user("deploy-bot", role_list=[roles.AGENT])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=bot).key}")
    return client


def test_pipeline_opens_starts_and_closes_a_standard_change(pipeline, template):
    opened = pipeline.post(
        "/api/v1/changes/",
        {"template": "deploy-web-frontend", "short_description": "Deploy web frontend 2.4.1"},
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    change = opened.json()
    number = change["number"]
    assert change["change_type"] == "standard"
    assert change["state"] == "scheduled"
    assert change["approval_status"] == "not_required"
    assert change["template"]["slug"] == "deploy-web-frontend"

    started = pipeline.post(f"/api/v1/changes/{number}/start/")
    assert started.status_code == 200 and started.json()["state"] == "implement"

    closed = pipeline.post(f"/api/v1/changes/{number}/close/", {"outcome": "successful"}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["state"] == "closed" and closed.json()["outcome"] == "successful"

    stored = ChangeRequest.objects.get(number=number)
    assert stored.state == ChangeState.CLOSED
    assert stored.requester.username == "deploy-bot"
    assert stored.actual_start is not None and stored.actual_end >= stored.actual_start
    states = [
        e.data["state"]
        for e in ChangeTimelineEntry.objects.filter(ticket=stored, kind="state_change").order_by("id")
    ]
    assert states == [["new", "scheduled"], ["scheduled", "implement"], ["implement", "closed"]]

    today = timezone.now().date()
    calendar = pipeline.get(
        f"/api/v1/changes/calendar/?from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    ).json()
    listed = {c["number"]: c for c in calendar["changes"]}
    assert number in listed
    assert listed[number]["state"] == "closed"


def test_pipeline_failure_goes_to_review_and_flags_the_template(pipeline, template):
    number = pipeline.post("/api/v1/changes/", {"template": str(template.pk)}, format="json").json()["number"]
    pipeline.post(f"/api/v1/changes/{number}/start/")
    missing_notes = pipeline.post(f"/api/v1/changes/{number}/close/", {"outcome": "failed"}, format="json")
    assert missing_notes.status_code == 400 and "outcome_notes" in missing_notes.json()
    failed = pipeline.post(
        f"/api/v1/changes/{number}/close/",
        {"outcome": "failed", "outcome_notes": "Smoke test failed; rolled back by the pipeline."},
        format="json",
    )
    assert failed.status_code == 200 and failed.json()["state"] == "review"
    template.refresh_from_db()
    assert template.needs_review is True


def test_pipeline_can_plan_the_window_and_close_needs_an_outcome(pipeline, template):
    response = pipeline.post(
        "/api/v1/changes/",
        {"template": "deploy-web-frontend", "planned_start": "2030-01-06T01:00:00Z"},
        format="json",
    )
    body = response.json()
    assert body["planned_end"] is not None
    number = body["number"]
    pipeline.post(f"/api/v1/changes/{number}/start/")
    no_outcome = pipeline.post(f"/api/v1/changes/{number}/close/", {}, format="json")
    assert no_outcome.status_code == 400 and "outcome" in no_outcome.json()


def test_template_change_cannot_claim_another_type(pipeline, template):
    response = pipeline.post(
        "/api/v1/changes/", {"template": "deploy-web-frontend", "change_type": "normal"}, format="json"
    )
    assert response.status_code == 400 and "change_type" in response.json()
    assert not ChangeRequest.objects.exists()
