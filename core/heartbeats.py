"""Heartbeats of the periodic tasks: a dead beat, or a sweep that fails every time, is visible.

Celery signals (connected in :mod:`itsm.celery`, so every task of every app is covered by one
implementation) record when a task of the beat schedule starts, succeeds or fails. ``stale()``
compares the last success with the task's period in ``CELERY_BEAT_SCHEDULE``: a task that has
not succeeded for three periods (counted from when it was first expected, if it never ran) is
reported by ``/readyz`` and on the admin home page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

STALE_PERIODS = 3


def _period_of(schedule) -> timedelta | None:
    """The interval between two runs of a beat schedule entry (seconds, timedelta, crontab...)."""
    if isinstance(schedule, int | float):
        return timedelta(seconds=float(schedule))
    if isinstance(schedule, timedelta):
        return schedule
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta) and not hasattr(schedule, "remaining_delta"):
        return run_every
    if hasattr(schedule, "remaining_delta"):  # crontab: the gap between two consecutive fire times
        try:
            first = _next_fire(schedule, timezone.now())
            return _next_fire(schedule, first) - first
        except Exception:  # pragma: no cover - an exotic schedule: not watched
            return None
    return None


def _next_fire(schedule, after: datetime) -> datetime:
    last, delta, _now = schedule.remaining_delta(after)
    fire = last + delta
    if fire <= after:  # the crontab's ffwd can land on ``after`` itself (same minute)
        fire = _next_fire(schedule, after + timedelta(minutes=1))
    return fire


def periods() -> dict[str, timedelta]:
    """Task name -> the shortest period it is scheduled with in ``CELERY_BEAT_SCHEDULE``."""
    found: dict[str, timedelta] = {}
    for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values():
        period = _period_of(entry.get("schedule"))
        name = entry.get("task")
        if not name or period is None or period <= timedelta(0):
            continue
        found[name] = min(period, found.get(name, period))
    return found


def _write(name: str, **fields) -> None:
    """Upsert one heartbeat; never lets a heartbeat problem fail the task itself."""
    from core.models import TaskHeartbeat

    try:
        with transaction.atomic():
            updated = TaskHeartbeat.objects.filter(name=name).update(**fields)
            if not updated:
                TaskHeartbeat.objects.bulk_create([TaskHeartbeat(name=name, **fields)], ignore_conflicts=True)
                TaskHeartbeat.objects.filter(name=name).update(**fields)
    except DatabaseError:
        log.warning("could not record the heartbeat of %s", name, exc_info=True)


def watched(name: str | None) -> bool:
    return bool(name) and name in periods()


def task_started(name: str) -> None:
    if watched(name):
        _write(name, last_run_at=timezone.now())


def task_succeeded(name: str) -> None:
    if watched(name):
        _write(name, last_ok_at=timezone.now())


def task_failed(name: str, exc: BaseException | None) -> None:
    if watched(name):
        _write(name, last_error_at=timezone.now(), last_error=f"{type(exc).__name__}: {exc}"[:2000])


def register_schedule(now: datetime | None = None) -> None:
    """Create a heartbeat row for every scheduled task that has none (the reference instant for a
    task that never runs). Called when beat starts and whenever the heartbeats are read."""
    from core.models import TaskHeartbeat

    now = now or timezone.now()
    names = set(periods())
    existing = set(TaskHeartbeat.objects.filter(name__in=names).values_list("name", flat=True))
    missing = names - existing
    if missing:
        TaskHeartbeat.objects.bulk_create(
            [TaskHeartbeat(name=n, registered_at=now) for n in sorted(missing)], ignore_conflicts=True
        )


@dataclass(frozen=True)
class Staleness:
    """A periodic task that has not succeeded for ``STALE_PERIODS`` of its periods."""

    name: str
    period: timedelta
    last_ok_at: datetime | None
    last_run_at: datetime | None
    last_error: str

    @property
    def never_ran(self) -> bool:
        return self.last_run_at is None


def stale(now: datetime | None = None) -> list[Staleness]:
    """Every scheduled task whose last success is older than three of its periods."""
    from core.models import TaskHeartbeat

    now = now or timezone.now()
    schedule = periods()
    if not schedule:
        return []
    register_schedule(now)
    found = []
    for beat in TaskHeartbeat.objects.filter(name__in=schedule):
        period = schedule[beat.name]
        reference = beat.last_ok_at or beat.registered_at
        if reference < now - STALE_PERIODS * period:
            found.append(Staleness(beat.name, period, beat.last_ok_at, beat.last_run_at, beat.last_error))
    return sorted(found, key=lambda s: s.name)
