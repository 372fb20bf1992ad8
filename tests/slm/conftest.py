"""Fixtures of the SLM tests: a controllable clock, calendars and policies."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from slm.models import BusinessCalendar, CalendarHours, SlaPolicy, SlaTarget


class Clock:
    """Stands in for ``django.utils.timezone.now`` so that a test walks through a working week."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now

    def set(self, instant: datetime) -> datetime:
        self.now = instant
        return self.now


# Monday 2 March 2026, 09:00 in Stockholm (CET, UTC+1).
MONDAY_0900 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(MONDAY_0900)
    monkeypatch.setattr(timezone, "now", c)
    return c


def office_hours(name="Office hours", start=time(8), end=time(17), tz="Europe/Stockholm", days=range(5)):
    calendar = BusinessCalendar.objects.create(name=name, time_zone=tz)
    CalendarHours.objects.bulk_create(
        [CalendarHours(calendar=calendar, weekday=d, start=start, end=end) for d in days]
    )
    return BusinessCalendar.objects.get(pk=calendar.pk)


def make_policy(name, calendar, targets, **conditions):
    """``targets``: {(metric, priority or None): minutes}."""
    policy = SlaPolicy.objects.create(name=name, calendar=calendar, **conditions)
    SlaTarget.objects.bulk_create(
        [
            SlaTarget(policy=policy, metric=metric, priority=priority, target_minutes=minutes)
            for (metric, priority), minutes in targets.items()
        ]
    )
    return SlaPolicy.objects.get(pk=policy.pk)


@pytest.fixture
def calendar(db) -> BusinessCalendar:
    return office_hours()


@pytest.fixture
def always(db) -> BusinessCalendar:
    return BusinessCalendar.objects.create(name="24x7", time_zone="Europe/Stockholm", is_24x7=True)


@pytest.fixture
def policy(calendar) -> SlaPolicy:
    return make_policy(
        "Standard",
        calendar,
        {
            ("response", None): 60,
            ("resolution", None): 8 * 60,
            ("update", None): 4 * 60,
            ("resolution", 1): 4 * 60,
            ("response", 1): 15,
        },
        order=50,
    )
