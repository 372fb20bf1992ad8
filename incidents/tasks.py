"""Celery tasks of incident management: thin, idempotent, calling the domain services."""

from __future__ import annotations

from celery import shared_task

from incidents import services

AUTO_CLOSE_BATCH = 500


@shared_task(name="incidents.tasks.auto_close_resolved")
def auto_close_resolved(batch: int = AUTO_CLOSE_BATCH) -> int:
    """Close resolved incidents older than INCIDENT_AUTO_CLOSE_DAYS (beat runs it periodically).

    Works in batches until none is due, each incident in its own transaction. Idempotent: running
    it twice, or on two workers at once (rows are claimed with SKIP LOCKED), closes each once.
    """
    total = 0
    while True:
        closed = services.auto_close_due(limit=batch)
        total += len(closed)
        if len(closed) < batch:
            return total
