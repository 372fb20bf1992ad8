"""``Idempotency-Key`` on API creates: a retried request gets the first response, not a second object.

Decorate a viewset method with :func:`idempotent` (``create`` and every POST action that creates
something), or mix :class:`IdempotentCreateMixin` into a viewset that keeps DRF's ``create``.
tests/core/test_api_idempotency_coverage.py fails for a creating POST without it. With the header,
a POST:

1. claims the key: inserts an ``IdempotencyRecord`` for (user, key, method, path) in its own
   transaction. The unique constraint lets only one of two parallel requests in; the other
   answers 409 while the first runs.
2. runs the view and stores its status, body and ``Location``/``ETag`` on the record **in the same
   transaction** as the objects it created: either both are committed or neither is.
3. A repeat with the same key and body gets the stored response (``Idempotent-Replayed: true``);
   the same key with another body is a 422 naming the header. A request that failed (4xx, 5xx)
   releases the key, so the client can correct the request and send it again.

A claim whose request died (no response within ``IDEMPOTENCY_PENDING_SECONDS``) may be taken over;
the original request, should it still finish, finds the claim no longer its own and rolls back.
Records expire after ``IDEMPOTENCY_TTL_SECONDS`` (24 h).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import uuid
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api.location import plain_str
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
IDEMPOTENCY_PENDING_SECONDS = 120
MAX_KEY_LENGTH = 255
# Response headers that belong to the stored answer (the rest is recomputed on replay).
REPLAYED_HEADERS = ("Location", "ETag")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "A unique key per logical request (e.g. a UUID), at most 255 characters. Repeating the request "
        "with the same key and body within 24 hours returns the first response (header "
        "Idempotent-Replayed: true) instead of creating a second object. The same key with a different "
        "body is a 422; while the first request is still running, a 409."
    ),
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class IdempotencyKeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_flight"


class _ClaimLost(Exception):
    """The request's claim was taken over (it ran longer than the pending limit)."""


def idempotent(view_method):
    """Make a viewset method honour ``Idempotency-Key`` on POST (other methods pass through)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return view_method(self, request, *args, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError(
                {HEADER: [gettext("Use 1 to 255 printable characters, e.g. a UUID.")]}
            )
        fingerprint = request_fingerprint(request)
        claimed = _claim(request, key, fingerprint)
        if isinstance(claimed, Response):
            return claimed
        try:
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)
                elif not _complete(claimed, response):
                    raise _ClaimLost
        except _ClaimLost:
            raise IdempotencyKeyInFlight(
                gettext("A newer request with this Idempotency-Key took over; this one was undone.")
            ) from None
        except BaseException:
            # Keep the original error: a failing release (the database went away) only leaves
            # the claim to expire after IDEMPOTENCY_PENDING_SECONDS.
            with contextlib.suppress(DatabaseError):
                _release(claimed)
            raise
        if not 200 <= response.status_code < 300:
            _release(claimed)
        return response

    wrapper.idempotent = True
    return wrapper


class IdempotentCreateMixin:
    """For viewsets that keep DRF's ``create``: makes it honour ``Idempotency-Key``."""

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


def is_idempotent(view_method) -> bool:
    return bool(getattr(view_method, "idempotent", False))


# --- the request's fingerprint --------------------------------------------------------------------


def request_fingerprint(request) -> str:
    """SHA-256 of the request body in a canonical form (JSON key order and file objects ignored)."""
    canonical = json.dumps(_canonical(request.data), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value):
    if isinstance(value, QueryDict):
        return {name: [_canonical(item) for item in value.getlist(name)] for name in value}
    if isinstance(value, dict):
        return {str(name): _canonical(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return value


# --- claim, complete, release ---------------------------------------------------------------------


def _claim(request, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """Insert the pending record, or answer from the existing one (replay, 409 or 422)."""
    lookup = {"user": request.user, "key": key, "method": request.method, "path": request.path[:500]}
    now = timezone.now()
    # Expired records of this user go first: an expired key is a new key.
    IdempotencyRecord.objects.filter(
        user=request.user, created_at__lt=now - timedelta(seconds=IDEMPOTENCY_TTL_SECONDS)
    ).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    **lookup, fingerprint=fingerprint, token=uuid.uuid4(), created_at=now
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(**lookup).first()
        if existing is None:
            continue  # released in between: claim again
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                {HEADER: [gettext("This Idempotency-Key was used for a different request body.")]}
            )
        if existing.status_code is not None:
            return _replay(existing)
        if existing.created_at > now - timedelta(seconds=IDEMPOTENCY_PENDING_SECONDS):
            raise IdempotencyKeyInFlight(
                gettext("A request with this Idempotency-Key is still being processed; retry later.")
            )
        # The first request died without an answer (its transaction, and what it created, were
        # rolled back): take the claim over.
        token = uuid.uuid4()
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, token=existing.token, status_code__isnull=True
        ).update(token=token, created_at=now)
        if taken:
            existing.token, existing.created_at = token, now
            return existing
    raise IdempotencyKeyInFlight(
        gettext("A request with this Idempotency-Key is still being processed; retry later.")
    )


def _complete(record: IdempotencyRecord, response: Response) -> bool:
    """Store the response on the claim, if it is still ours (in the view's transaction)."""
    data = getattr(response, "data", None)
    body = json.loads(JSONRenderer().render(data)) if data is not None else None
    headers = {name: plain_str(response[name]) for name in REPLAYED_HEADERS if response.has_header(name)}
    return bool(
        IdempotencyRecord.objects.filter(pk=record.pk, token=record.token, status_code__isnull=True).update(
            status_code=response.status_code,
            response_body=body,
            response_headers=headers,
            completed_at=timezone.now(),
        )
    )


def _release(record: IdempotencyRecord) -> None:
    """Forget a claim whose request failed, so the corrected request may use the key."""
    IdempotencyRecord.objects.filter(pk=record.pk, token=record.token, status_code__isnull=True).delete()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    for name, value in record.response_headers.items():
        response[name] = plain_str(value)
    response["Idempotent-Replayed"] = "true"
    return response
