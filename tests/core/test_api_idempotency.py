"""The claim behind Idempotency-Key: in flight, abandoned, expired, invalid keys."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from core.api.idempotency import IDEMPOTENCY_PENDING_SECONDS, IDEMPOTENCY_TTL_SECONDS
from core.models import IdempotencyRecord
from incidents.models import Incident

pytestmark = pytest.mark.django_db
API = "/api/v1/incidents/"
BODY = {"short_description": "Printer jam"}


def _fingerprint_of(client, key: str) -> str:
    """The fingerprint the server computes for BODY (read from a claim it made)."""
    client.post(API, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    record = IdempotencyRecord.objects.get(key=key)
    return record.fingerprint


def _pending(user, key: str, fingerprint: str, *, age_seconds: int) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        method="POST",
        path=API,
        fingerprint=fingerprint,
        token=uuid.uuid4(),
        created_at=timezone.now() - timedelta(seconds=age_seconds),
    )


def test_a_claim_abandoned_by_a_dead_request_is_taken_over(as_user, end_user, desk):
    client = as_user(end_user)
    fingerprint = _fingerprint_of(client, "probe")
    _pending(end_user, "k-dead", fingerprint, age_seconds=IDEMPOTENCY_PENDING_SECONDS + 5)
    response = client.post(API, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get(key="k-dead")
    assert record.status_code == 201 and record.response_body["number"] == response.json()["number"]
    assert Incident.objects.count() == 2  # the probe and this one


def test_a_running_claim_is_a_409_and_writes_nothing(as_user, end_user, desk):
    client = as_user(end_user)
    fingerprint = _fingerprint_of(client, "probe")
    _pending(end_user, "k-busy", fingerprint, age_seconds=1)
    response = client.post(API, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-busy")
    assert response.status_code == 409 and "still being processed" in response.json()["detail"]
    assert Incident.objects.count() == 1


def test_an_expired_key_is_a_new_key(as_user, end_user, desk):
    client = as_user(end_user)
    first = client.post(API, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-old")
    IdempotencyRecord.objects.filter(key="k-old").update(
        created_at=timezone.now() - timedelta(seconds=IDEMPOTENCY_TTL_SECONDS + 1)
    )
    again = client.post(API, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-old")
    assert again.status_code == 201 and again.json()["number"] != first.json()["number"]
    assert IdempotencyRecord.objects.filter(key="k-old").count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "a\x00b", "tab\there"])
def test_an_invalid_key_is_a_400_naming_the_header(as_user, end_user, desk, key):
    response = as_user(end_user).post(API, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert Incident.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


def test_a_failed_request_releases_the_key(as_user, end_user, desk):
    client = as_user(end_user)
    bad = client.post(API, {"short_description": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-fix")
    assert bad.status_code == 400 and IdempotencyRecord.objects.count() == 0
    good = client.post(API, {"short_description": "Fixed"}, format="json", HTTP_IDEMPOTENCY_KEY="k-fix")
    assert good.status_code == 201
