"""Celery tasks of problem management: thin and idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from problems import services
from problems.models import TrendSettings

log = logging.getLogger(__name__)


@shared_task(name="problems.tasks.detect_trends", acks_late=True)
def detect_trends(force: bool = False) -> dict:
    """Daily (beat, 03:15) and on demand: store clusters of recurring incidents as candidates.

    Idempotent: running it twice creates no duplicate candidates. The daily run respects the
    administrators' "detect trends daily" switch; an on-demand run (``force``) always runs.
    """
    if not force and not TrendSettings.current().is_enabled:
        return {"skipped": True}
    result = services.detect_trends().as_dict()
    log.info("trend detection finished", extra={"trends": result})
    return result


def _enqueue() -> None:
    try:
        detect_trends.delay(force=True)
    except Exception:  # broker down: the daily run still happens
        log.warning("could not queue trend detection; it runs at its next scheduled time")


def request_detection() -> None:
    """Queue an on-demand detection once the current transaction (if any) commits."""
    transaction.on_commit(_enqueue)
