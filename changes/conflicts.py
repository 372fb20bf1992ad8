"""Pure change-calendar arithmetic: weekly maintenance windows and conflict detection.

Everything here works on plain dataclasses holding aware datetimes, so that it is tested
without a database and gives the same answer whatever the server's or the viewer's time zone.
Intervals are half-open, [start, end): a change ending at 04:00 does not overlap one that
starts at 04:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from changes.choices import ChangeType, ConflictKind


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: Interval) -> Interval:
        return Interval(max(self.start, other.start), min(self.end, other.end))


def _check_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: conflict detection needs aware datetimes")


@dataclass(frozen=True)
class WeeklyWindow:
    """A recurring weekly maintenance window of one service, in local wall-clock time.

    ``end_time`` at or before ``start_time`` means the window ends on the next day
    (Sat 22:00 - Sun 04:00). Occurrences follow daylight saving time: "Sun 02:00-06:00
    Europe/Stockholm" is 01:00-05:00 UTC in winter and 00:00-04:00 UTC in summer. A local
    time that does not exist (the spring-forward gap) is shifted forward by the gap.
    """

    service_id: int
    weekday: int  # Monday = 0
    start_time: time
    end_time: time
    time_zone: str
    id: int | None = None
    name: str = ""
    service_name: str = ""

    def _local_to_utc(self, day: date, at: time, tz: ZoneInfo) -> datetime:
        # fold=0 resolves both ambiguous (autumn) and missing (spring) local times with the
        # offset in force before the transition; converting to UTC then normalises.
        return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)

    def occurrences(self, range_start: datetime, range_end: datetime) -> list[Interval]:
        """Occurrences (in UTC) that overlap [range_start, range_end)."""
        _check_aware(range_start, range_end)
        tz = ZoneInfo(self.time_zone)
        first = range_start.astimezone(tz).date() - timedelta(days=1)
        last = range_end.astimezone(tz).date()
        wanted = Interval(range_start, range_end)
        result = []
        day = first + timedelta(days=(self.weekday - first.weekday()) % 7)
        while day <= last:
            end_day = day + timedelta(days=1) if self.end_time <= self.start_time else day
            occurrence = Interval(
                self._local_to_utc(day, self.start_time, tz), self._local_to_utc(end_day, self.end_time, tz)
            )
            if occurrence.overlaps(wanted):
                result.append(occurrence)
            day += timedelta(days=7)
        return result


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of intervals as sorted, disjoint intervals (touching ones are joined)."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


@dataclass(frozen=True)
class FreezeSpec:
    """A freeze (blackout) window: absolute instants; no services means every service."""

    id: int | None
    name: str
    start: datetime
    end: datetime
    service_ids: frozenset[int] = frozenset()


def normalize_ci(name: str) -> str:
    """Configuration items match exactly but case-insensitively, ignoring outer whitespace."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class ChangeSpec:
    """A change's planned window with what it touches."""

    id: int | None
    number: str
    start: datetime
    end: datetime
    service_ids: frozenset[int] = frozenset()
    # Normalised (see normalize_ci) configuration item names, and how to show them.
    cis: frozenset[str] = frozenset()
    ci_labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class Conflict:
    """One finding about a planned window. ``blocking`` ones stop scheduling unless overridden."""

    kind: str
    blocking: bool
    start: datetime
    end: datetime
    freeze_id: int | None = None
    freeze_name: str = ""
    service_id: int | None = None
    service_name: str = ""
    change_id: int | None = None
    change_number: str = ""
    ci: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "blocking": self.blocking,
            "start": self.start.astimezone(UTC).isoformat(),
            "end": self.end.astimezone(UTC).isoformat(),
            "freeze_id": self.freeze_id,
            "freeze_name": self.freeze_name,
            "service_id": self.service_id,
            "service_name": self.service_name,
            "change_id": self.change_id,
            "change_number": self.change_number,
            "ci": self.ci,
        }


def detect_conflicts(
    candidate: ChangeSpec,
    *,
    change_type: str,
    freezes: Iterable[FreezeSpec] = (),
    maintenance: Iterable[WeeklyWindow] = (),
    others: Iterable[ChangeSpec] = (),
    service_names: Mapping[int, str] | None = None,
) -> list[Conflict]:
    """Everything wrong with scheduling ``candidate`` in its planned window.

    - freeze: the window overlaps a freeze window that covers all services or one of the
      candidate's; blocking for normal changes (emergency and standard changes are warned).
    - outside_maintenance: for each of the candidate's services that has maintenance windows,
      the planned window is not wholly inside their union.
    - overlap_service / overlap_ci: another change's planned window overlaps and shares a
      service / a configuration item (one finding per shared service or CI).

    Input that is irrelevant (other services, other weeks, the candidate itself) is ignored, so
    callers may pass a superset.
    """
    _check_aware(candidate.start, candidate.end)
    if candidate.end <= candidate.start:
        raise ValueError("the planned end must be after the planned start")
    names = dict(service_names or {})
    window = candidate.interval
    found: list[Conflict] = []

    for freeze in freezes:
        _check_aware(freeze.start, freeze.end)
        span = Interval(freeze.start, freeze.end)
        applies = not freeze.service_ids or bool(freeze.service_ids & candidate.service_ids)
        if applies and span.overlaps(window):
            part = span.intersection(window)
            found.append(
                Conflict(
                    kind=ConflictKind.FREEZE,
                    blocking=change_type == ChangeType.NORMAL,
                    start=part.start,
                    end=part.end,
                    freeze_id=freeze.id,
                    freeze_name=freeze.name,
                )
            )

    by_service: dict[int, list[WeeklyWindow]] = {}
    for weekly in maintenance:
        if weekly.service_id in candidate.service_ids:
            by_service.setdefault(weekly.service_id, []).append(weekly)
            names.setdefault(weekly.service_id, weekly.service_name)
    # Look a day beyond both ends so that occurrences touching the window's edges are whole.
    look_from, look_to = window.start - timedelta(days=1), window.end + timedelta(days=1)
    for service_id in sorted(by_service):
        occurrences = merge(
            occ for weekly in by_service[service_id] for occ in weekly.occurrences(look_from, look_to)
        )
        if not any(occ.contains(window) for occ in occurrences):
            found.append(
                Conflict(
                    kind=ConflictKind.OUTSIDE_MAINTENANCE,
                    blocking=False,
                    start=window.start,
                    end=window.end,
                    service_id=service_id,
                    service_name=names.get(service_id, ""),
                )
            )

    for other in sorted(others, key=lambda o: (o.start, o.number)):
        if (candidate.id is not None and other.id == candidate.id) or (
            candidate.id is None and other.number and other.number == candidate.number
        ):
            continue
        _check_aware(other.start, other.end)
        if not other.interval.overlaps(window):
            continue
        part = other.interval.intersection(window)
        for service_id in sorted(candidate.service_ids & other.service_ids):
            found.append(
                Conflict(
                    kind=ConflictKind.OVERLAP_SERVICE,
                    blocking=False,
                    start=part.start,
                    end=part.end,
                    service_id=service_id,
                    service_name=names.get(service_id, ""),
                    change_id=other.id,
                    change_number=other.number,
                )
            )
        for ci in sorted(candidate.cis & other.cis):
            found.append(
                Conflict(
                    kind=ConflictKind.OVERLAP_CI,
                    blocking=False,
                    start=part.start,
                    end=part.end,
                    change_id=other.id,
                    change_number=other.number,
                    ci=candidate.ci_labels.get(ci, ci),
                )
            )
    return found
