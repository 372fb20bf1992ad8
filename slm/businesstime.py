"""Business time on a business-hours calendar, with pauses: the SLA engine's maths.

This module is pure (stdlib only, no Django, no I/O) so that every SLA figure
the product shows can be reproduced and property-tested in isolation.

Definition
----------
Inputs: a start instant ``S``, a target ``D`` (business time), a calendar
``C`` = (IANA time zone, weekly spans per weekday in local wall time, holidays)
and pauses ``P = [(p0, p1 | None)]`` (``None``: still paused, up to +infinity).

* ``working(d)``: the spans of ``weekday(d)`` on local date ``d`` (none if
  ``d`` is a holiday), each end point localised in ``C.tz`` and converted to
  UTC.  A span is half-open ``[start, end)``; ``end == time(0)`` means 24:00,
  i.e. local midnight at the start of the next day.
* ``count_set = (union_d working(d)) ∩ [S, ∞) minus union(P)``
* ``elapsed(t) = |count_set ∩ [S, t]|``              -> :func:`business_time`
* ``due_at = min t such that elapsed(t) == D``        -> :func:`add_business_time`

A 24x7 calendar (``always_open``) counts every instant, so business time
equals wall-clock time minus pauses.  A start outside business hours simply
counts nothing until the next span opens.

DST choices
-----------
Span end points are *wall-clock* times, so on DST change days they are
localised like this:

* nonexistent local time (spring-forward gap): shifted forward to the first
  instant that exists, i.e. the transition instant itself.  In Stockholm on
  2026-03-29 a span 02:30-05:00 therefore opens at 03:00 CEST and lasts 2 h.
  (Python's own PEP 495 rule would shift by the size of the gap, to 03:30,
  and silently drop half an hour that the customer's clock shows as open.)
* ambiguous local time (fall-back repeat): ``fold=0``, the first occurrence.

Both rules are the single rule ``localise(L) = min{u : wall_clock(u) >= L}``,
which is monotone in ``L``.  Equivalently: *an instant is business time iff
the highest wall-clock reading reached so far falls inside an open span of
that reading's date (and that date is not a holiday).*  During a repeated
hour the clock replays readings it already showed, so those instants count
exactly when the last reading before the repeat did.  Consequences: a
00:00-24:00 day has 23 h on spring-forward days and 25 h on fall-back days,
and consecutive days never overlap.  The test-suite checks the implementation
against that "high-water wall clock" formulation minute by minute.

Exactness
---------
All arithmetic is done on ``timedelta``/aware ``datetime`` values, which are
exact to the microsecond; no floats are used in the core, so
``business_time(S, add_business_time(S, D)) == D`` holds exactly.  Every
returned datetime is aware UTC.  Naive datetimes are rejected with
``ValueError`` naming the argument, because guessing their zone would make the
figures untrustworthy.

Search horizon
--------------
:func:`add_business_time` walks forward day by day and gives up (returns
``None``) when the due instant would lie more than :data:`SEARCH_HORIZON`
(about 3 years) after the start.  That bounds the work for calendars without
hours or with an open pause.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "SEARCH_HORIZON",
    "Calendar",
    "TimerFigures",
    "WeeklyHours",
    "add_business_time",
    "business_time",
    "is_business_time",
    "timer_figures",
    "working_intervals",
]

#: How far past the start :func:`add_business_time` looks for the due instant.
SEARCH_HORIZON = timedelta(days=3 * 365 + 1)

Span = tuple[time, time]
Pause = tuple[datetime, datetime | None]
Interval = tuple[datetime, datetime]

_ZERO = timedelta(0)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_US_PER_DAY = 86_400 * 10**6
# Instants are restricted to a range where "start + horizon" and "local date
# + 1 day" can never overflow datetime; nobody has SLA timers outside it.
_MIN_INSTANT = datetime(2, 1, 1, tzinfo=UTC)
_MAX_INSTANT = datetime(9990, 12, 31, tzinfo=UTC)


# --------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------


def _time_of_day_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 10**6 + t.microsecond


def _parse_time(value: object, *, is_end: bool, where: str) -> time:
    if isinstance(value, str):
        text = value.strip()
        if text in ("24:00", "24:00:00"):
            if not is_end:
                raise ValueError(f"{where}: 24:00 is only valid as a span end")
            return _MIDNIGHT
        try:
            value = time.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{where}: invalid time {text!r}") from exc
    if not isinstance(value, time):
        raise TypeError(f"{where}: expected datetime.time or 'HH:MM', got {value!r}")
    if value.tzinfo is not None:
        # Spans are local wall times of the calendar's zone; a time carrying
        # its own tzinfo would be silently reinterpreted, so refuse it.
        raise ValueError(f"{where}: span times must be naive local wall times")
    # fold on a time would leak into datetime.combine and pick the *second*
    # occurrence of an ambiguous time; the definition says fold=0.
    return value.replace(fold=0)


def _normalise_day(weekday: int, spans: object) -> tuple[Span, ...]:
    if spans is None:
        return ()
    if isinstance(spans, str | bytes) or not isinstance(spans, Iterable):
        raise TypeError(f"weekday {weekday}: expected a sequence of (start, end) spans")
    items = list(spans)
    # Convenience: a single (start, end) pair instead of a tuple of pairs.
    if len(items) == 2 and all(isinstance(x, time | str) for x in items):
        items = [tuple(items)]
    parsed: list[tuple[int, int, time, time]] = []
    for item in items:
        try:
            raw_start, raw_end = item
        except (TypeError, ValueError) as exc:
            raise TypeError(f"weekday {weekday}: span {item!r} is not a (start, end) pair") from exc
        where = f"weekday {weekday}"
        start = _parse_time(raw_start, is_end=False, where=where)
        end = _parse_time(raw_end, is_end=True, where=where)
        start_us = _time_of_day_us(start)
        end_us = _time_of_day_us(end) or _US_PER_DAY  # end 00:00 means 24:00
        if start_us >= end_us:
            raise ValueError(f"{where}: span {start}-{end} is empty or reversed")
        parsed.append((start_us, end_us, start, end))
    parsed.sort()
    for (_, prev_end, p_start, p_end), (cur_start, _, c_start, c_end) in zip(
        parsed, parsed[1:], strict=False
    ):
        if cur_start < prev_end:
            raise ValueError(f"weekday {weekday}: spans {p_start}-{p_end} and {c_start}-{c_end} overlap")
    return tuple((start, end) for _, _, start, end in parsed)


class WeeklyHours(Mapping[int, tuple[Span, ...]]):
    """Immutable, hashable weekday -> spans mapping (0=Monday .. 6=Sunday).

    Every weekday is a key; closed days map to ``()``.  Spans are sorted,
    validated ``(start, end)`` pairs of naive ``time`` (``end == time(0)``
    means 24:00).  Kept hashable so that :class:`Calendar` stays hashable.
    """

    __slots__ = ("_days", "_hash")

    def __init__(self, hours: Mapping[int, object] | None = None) -> None:
        days: list[tuple[Span, ...]] = [()] * 7
        if isinstance(hours, WeeklyHours):
            days = list(hours._days)
        elif hours is not None:
            if not isinstance(hours, Mapping):
                raise TypeError("weekly hours must be a mapping weekday -> spans")
            for weekday, spans in hours.items():
                if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                    raise ValueError(f"weekday must be an int 0 (Monday) .. 6 (Sunday), got {weekday!r}")
                days[weekday] = _normalise_day(weekday, spans)
        self._days: tuple[tuple[Span, ...], ...] = tuple(days)
        self._hash = hash(self._days)

    def __getitem__(self, weekday: int) -> tuple[Span, ...]:
        if isinstance(weekday, int) and not isinstance(weekday, bool) and 0 <= weekday <= 6:
            return self._days[weekday]
        raise KeyError(weekday)

    def __iter__(self) -> Iterator[int]:
        return iter(range(7))

    def __len__(self) -> int:
        return 7

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WeeklyHours):
            return self._days == other._days
        if isinstance(other, Mapping):
            try:
                return self._days == WeeklyHours(other)._days
            except (TypeError, ValueError):
                return False
        return NotImplemented

    def __repr__(self) -> str:
        open_days = {wd: spans for wd, spans in enumerate(self._days) if spans}
        return f"WeeklyHours({open_days!r})"

    @property
    def is_empty(self) -> bool:
        """True when no weekday has any span."""
        return not any(self._days)


_NO_HOURS = WeeklyHours()


def _parse_holiday(value: object) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    # datetime is a subclass of date but never equals one, so a datetime in
    # the set would silently never match: refuse it.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"holidays must be datetime.date values, got {value!r}")
    return value


def _parse_yearly(value: object) -> tuple[int, int]:
    if isinstance(value, str):
        month_text, _, day_text = value.strip().partition("-")
        value = (int(month_text), int(day_text))
    try:
        month, day = value  # type: ignore[misc]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"yearly holidays must be (month, day) pairs, got {value!r}") from exc
    if (
        isinstance(month, bool)
        or isinstance(day, bool)
        or not isinstance(month, int)
        or not isinstance(day, int)
    ):
        raise TypeError(f"yearly holidays must be (month, day) int pairs, got {value!r}")
    try:
        date(2000, month, day)  # 2000 is a leap year, so (2, 29) is accepted
    except ValueError as exc:
        raise ValueError(f"invalid yearly holiday {value!r}") from exc
    return (month, day)


@dataclass(frozen=True)
class Calendar:
    """A business-hours calendar in one IANA time zone.

    ``weekly`` accepts any mapping weekday (0=Monday..6=Sunday) -> spans and is
    normalised to a hashable :class:`WeeklyHours`.  Spans are local wall-clock
    ``(start, end)`` pairs, half-open; ``end == time(0)`` means 24:00; several
    non-overlapping spans per day are allowed.  ``holidays`` are local dates
    fully closed; ``yearly_holidays`` are ``(month, day)`` closed every year.
    ``always_open`` means 24x7: every instant counts.  To keep its meaning
    unambiguous an always-open calendar must not carry hours or holidays.
    A calendar with no hours at all counts nothing.
    """

    tz: str = "UTC"
    weekly: Mapping[int, tuple[Span, ...]] = _NO_HOURS
    holidays: frozenset[date] = frozenset()
    yearly_holidays: frozenset[tuple[int, int]] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str):
            raise TypeError(f"tz must be an IANA zone name, got {self.tz!r}")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        weekly = self.weekly if isinstance(self.weekly, WeeklyHours) else WeeklyHours(self.weekly)
        holidays = frozenset(_parse_holiday(d) for d in self.holidays)
        yearly = frozenset(_parse_yearly(md) for md in self.yearly_holidays)
        # Frozen dataclass: normalised values have to be set this way.
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "yearly_holidays", yearly)
        object.__setattr__(self, "always_open", bool(self.always_open))
        if self.always_open and (not weekly.is_empty or holidays or yearly):
            raise ValueError("an always_open (24x7) calendar cannot also have weekly hours or holidays")

    @classmethod
    def twenty_four_seven(cls, tz: str = "UTC") -> Calendar:
        """A 24x7 calendar: business time equals wall-clock time."""
        return cls(tz=tz, always_open=True)

    @classmethod
    def from_hours(
        cls,
        tz: str,
        weekly_hours: Mapping[int, object],
        holidays: Iterable[date | str] = (),
        yearly_holidays: Iterable[tuple[int, int] | str] = (),
    ) -> Calendar:
        """Convenience constructor.

        ``weekly_hours`` maps weekday -> one ``(start, end)`` pair or a sequence
        of pairs; times may be ``time`` objects or ``"HH:MM[:SS]"`` strings
        (``"24:00"`` allowed as an end).  ``holidays`` accepts dates or ISO
        strings, ``yearly_holidays`` ``(month, day)`` pairs or ``"MM-DD"``.
        """
        return cls(
            tz=tz,
            weekly=WeeklyHours(weekly_hours),
            holidays=frozenset(_parse_holiday(d) for d in holidays),
            yearly_holidays=frozenset(_parse_yearly(md) for md in yearly_holidays),
        )

    def is_holiday(self, day: date) -> bool:
        """True when the local date ``day`` is a fixed or yearly holiday."""
        return day in self.holidays or (day.month, day.day) in self.yearly_holidays


# --------------------------------------------------------------------------
# Localisation and the day walk
# --------------------------------------------------------------------------


def _wall_to_utc(zone: ZoneInfo, day: date, wall: time) -> datetime:
    """UTC instant of local wall time ``day wall``: min{u : wall_clock(u) >= wall}."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: first occurrence if ambiguous
    instant = local.astimezone(UTC)
    back = instant.astimezone(zone)
    if back.date() == day and back.time() == wall:
        return instant
    # Nonexistent wall time (DST gap).  The first existing instant after it
    # is the transition itself, which lies in (fold=1 instant, fold=0 instant]
    # (PEP 495 maps a gap time with the pre-/post-transition offsets).  Find
    # it exactly by bisection on microseconds; this runs only on the rare
    # spans that touch a gap, ~32 steps for a one-hour gap.
    other = local.replace(fold=1).astimezone(UTC)
    lo, hi = min(other, instant), max(other, instant)
    lo_offset = lo.astimezone(zone).utcoffset()
    if hi.astimezone(zone).utcoffset() == lo_offset:  # pragma: no cover - defensive
        return instant
    while hi - lo > _ONE_US:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(zone).utcoffset() == lo_offset:
            lo = mid
        else:
            hi = mid
    return hi


@functools.lru_cache(maxsize=16_384)
def _localized_day(tz: str, day: date, spans: tuple[Span, ...]) -> tuple[Interval, ...]:
    """UTC intervals of ``spans`` on local date ``day``.

    Memoised (a pure function of its arguments) because a Celery sweep
    evaluates many timers against the same few calendars and dates.
    """
    zone = ZoneInfo(tz)
    out = []
    for start, end in spans:
        lo = _wall_to_utc(zone, day, start)
        hi = (
            _wall_to_utc(zone, day + _ONE_DAY, _MIDNIGHT)
            if end == _MIDNIGHT
            else _wall_to_utc(zone, day, end)
        )
        if lo < hi:  # a span lying entirely inside a DST gap is empty
            out.append((lo, hi))
    return tuple(out)


def _working(cal: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """Working intervals clipped to [start, end); arguments already UTC."""
    if start >= end:
        return
    if cal.always_open:
        yield (start, end)
        return
    weekly: WeeklyHours = cal.weekly  # type: ignore[assignment]
    days = weekly._days
    if not any(days):
        return  # no hours at all: nothing can ever count, skip the walk
    zone = ZoneInfo(cal.tz)
    holidays, yearly, tz = cal.holidays, cal.yearly_holidays, cal.tz
    # Start one local day early: cheap insurance against zones whose clock
    # jumps across midnight.
    day = start.astimezone(zone).date() - _ONE_DAY
    last = end.astimezone(zone).date() + _ONE_DAY
    while day <= last:
        spans = days[day.weekday()]
        # Closed weekdays and holidays cost one tuple index and two set
        # lookups; no localisation happens for them.
        if spans and day not in holidays and (day.month, day.day) not in yearly:
            for lo, hi in _localized_day(tz, day, spans):
                if hi <= start:
                    continue
                if lo >= end:
                    # Localisation is monotone in wall time, so every later
                    # span starts later still.
                    return
                yield (max(lo, start), min(hi, end))
        day += _ONE_DAY


def _subtract(intervals: Iterable[Interval], pauses: Sequence[Pause]) -> Iterator[Interval]:
    """``intervals`` minus ``pauses``; both sorted, pauses merged (disjoint)."""
    i, n = 0, len(pauses)
    for lo, hi in intervals:
        cur = lo
        while i < n:
            p_lo, p_hi = pauses[i]
            if p_hi is not None and p_hi <= cur:
                i += 1  # pause entirely behind us
                continue
            if p_lo >= hi:
                break  # pause entirely ahead of this interval
            if p_lo > cur:
                yield (cur, p_lo)
            if p_hi is None:
                return  # open pause: nothing after it ever counts
            cur = p_hi
            if cur >= hi:
                break  # pause may also cover the next interval: keep it
            i += 1
        if cur < hi:
            yield (cur, hi)


def _counted(cal: Calendar, start: datetime, end: datetime, pauses: Sequence[Pause]) -> Iterator[Interval]:
    """The count set clipped to [start, end)."""
    return _subtract(_working(cal, start, end), pauses)


# --------------------------------------------------------------------------
# Argument normalisation
# --------------------------------------------------------------------------


def _utc(value: object, name: str, *, check_range: bool = True) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    try:
        instant = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{name} is out of the supported range: {value!r}") from exc
    if check_range and not _MIN_INSTANT <= instant <= _MAX_INSTANT:
        raise ValueError(f"{name} is out of the supported range: {value!r}")
    return instant


def _check_calendar(cal: object) -> Calendar:
    if not isinstance(cal, Calendar):
        raise TypeError(f"cal must be a Calendar, got {type(cal).__name__}")
    return cal


def _normalise_pauses(pauses: Iterable[object]) -> list[Pause]:
    """Validate, convert to UTC, sort and merge overlapping/touching pauses."""
    if isinstance(pauses, str | bytes) or not isinstance(pauses, Iterable):
        raise TypeError("pauses must be a sequence of (start, end | None) pairs")
    items: list[Pause] = []
    for k, pause in enumerate(pauses):
        try:
            raw_lo, raw_hi = pause  # type: ignore[misc]
        except (TypeError, ValueError) as exc:
            raise TypeError(f"pauses[{k}] must be a (start, end | None) pair, got {pause!r}") from exc
        lo = _utc(raw_lo, f"pauses[{k}][0]", check_range=False)
        hi = None if raw_hi is None else _utc(raw_hi, f"pauses[{k}][1]", check_range=False)
        if hi is not None:
            if hi < lo:
                raise ValueError(f"pauses[{k}] ends before it starts")
            if hi == lo:
                continue  # empty pause: pauses nothing
        items.append((lo, hi))
    items.sort(key=lambda p: p[0])
    merged: list[Pause] = []
    for lo, hi in items:
        if merged:
            m_lo, m_hi = merged[-1]
            if m_hi is None:
                break  # an open pause swallows everything after it
            if lo <= m_hi:
                merged[-1] = (m_lo, None if hi is None else max(m_hi, hi))
                continue
        merged.append((lo, hi))
    return merged


def _check_duration(value: object, name: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(value).__name__}")
    if value < _ZERO:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return value


def _horizon(start: datetime) -> datetime:
    return start + SEARCH_HORIZON


def _td_us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 10**6 + value.microseconds


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def working_intervals(cal: Calendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Business-hour intervals of ``cal`` within ``[start, end)``, in UTC.

    Ordered and non-overlapping; intervals that merely touch (e.g. at local
    midnight on a 00:00-24:00 calendar) are yielded separately.  Pauses are
    not considered.  Arguments are validated eagerly; the walk is lazy.
    """
    _check_calendar(cal)
    return _working(cal, _utc(start, "start"), _utc(end, "end"))


def business_time(
    cal: Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
) -> timedelta:
    """Business time counted from ``start`` to ``end``, pauses excluded.

    ``elapsed(end)`` of the module definition; ``timedelta(0)`` if
    ``end <= start``.  Exact to the microsecond.
    """
    _check_calendar(cal)
    start = _utc(start, "start")
    end = _utc(end, "end")
    merged = _normalise_pauses(pauses)
    total = _ZERO
    for lo, hi in _counted(cal, start, end, merged):
        total += hi - lo
    return total


def add_business_time(
    cal: Calendar,
    start: datetime,
    duration: timedelta,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """The due instant: the earliest ``t`` with ``business_time(start, t) == duration``.

    Returns ``start`` for a zero duration.  Returns ``None`` when the duration
    cannot be reached within :data:`SEARCH_HORIZON` of ``start`` (calendar
    without hours, an open pause, or simply too long a target).  The result
    is aware UTC; if the target is reached exactly at a span's end, that end
    is returned (not the next opening).
    """
    _check_calendar(cal)
    start = _utc(start, "start")
    duration = _check_duration(duration, "duration")
    merged = _normalise_pauses(pauses)
    if not duration:
        return start
    left = duration
    for lo, hi in _counted(cal, start, _horizon(start), merged):
        length = hi - lo
        if length >= left:
            return lo + left
        left -= length
    return None


def is_business_time(cal: Calendar, instant: datetime) -> bool:
    """True when ``instant`` lies inside the calendar's hours (pauses aside)."""
    _check_calendar(cal)
    instant = _utc(instant, "instant")
    # Defined through the same walk as everything else so the notions can't
    # drift apart: the instant counts iff [instant, instant + 1 µs) is working.
    return next(_working(cal, instant, instant + _ONE_US), None) is not None


@dataclass(frozen=True)
class TimerFigures:
    """Figures of one SLA timer at an evaluation instant.

    ``due_at``/``warning_at`` are the instants elapsed reaches the target /
    ``warn_percent`` of it assuming no further pause.  Once reached they are
    historical facts and stay set; while not yet reached they are ``None`` if
    the timer is paused at the evaluation instant (the future is unknowable)
    or if the target is unreachable within :data:`SEARCH_HORIZON`.
    """

    elapsed: timedelta
    remaining: timedelta
    due_at: datetime | None
    warning_at: datetime | None
    percent: float
    breached: bool


def _scan(
    cal: Calendar,
    start: datetime,
    at: datetime,
    pauses: Sequence[Pause],
    thresholds: Sequence[timedelta],
) -> tuple[timedelta, list[datetime | None]]:
    """One walk giving elapsed at ``at`` and the instants each threshold is reached.

    Equivalent to ``business_time(start, at)`` and ``add_business_time(start,
    x)`` for each ``x`` (same horizon rule), without walking three times.
    """
    horizon = _horizon(start)
    reached: list[datetime | None] = [start if not x else None for x in thresholds]
    elapsed = _ZERO
    acc = _ZERO
    for lo, hi in _counted(cal, start, max(at, horizon), pauses):
        if lo < at:
            elapsed += min(hi, at) - lo
        length = hi - lo
        for k, x in enumerate(thresholds):
            if reached[k] is None and acc < x <= acc + length:
                instant = lo + (x - acc)
                if instant <= horizon:
                    reached[k] = instant
        acc += length
        if hi >= at and all(r is not None for r in reached):
            break
    return elapsed, reached


def _paused_at(pauses: Sequence[Pause], instant: datetime) -> bool:
    return any(lo <= instant and (hi is None or instant < hi) for lo, hi in pauses)


def timer_figures(
    cal: Calendar,
    start: datetime,
    target: timedelta,
    pauses: Sequence[tuple[datetime, datetime | None]],
    now: datetime,
    *,
    stopped_at: datetime | None = None,
    warn_percent: float = 75.0,
) -> TimerFigures:
    """Evaluate an SLA timer at ``now`` (or at ``stopped_at`` for a stopped timer).

    * ``elapsed``: business time counted up to the evaluation instant.
    * ``remaining``: ``target - elapsed``; negative once over target (a
      breached timer keeps counting).
    * ``due_at`` / ``warning_at``: see :class:`TimerFigures`.  For a stopped
      timer they are the deadline it was (or would have been) measured
      against, with the given pauses.
    * ``percent``: ``elapsed / target * 100``.
    * ``breached``: the target was reached strictly before the evaluation
      instant, i.e. ``elapsed > target`` or ``due_at < evaluation instant``.
      This stays true while the timer is paused after a breach, and a timer
      stopped exactly at its due instant is met, not breached.
    """
    _check_calendar(cal)
    start = _utc(start, "start")
    now = _utc(now, "now")
    at = now if stopped_at is None else _utc(stopped_at, "stopped_at")
    target = _check_duration(target, "target")
    if not target:
        raise ValueError("target must be positive")
    if isinstance(warn_percent, bool) or not isinstance(warn_percent, int | float | Fraction):
        raise TypeError(f"warn_percent must be a number, got {warn_percent!r}")
    if not math.isfinite(warn_percent) or warn_percent <= 0:
        raise ValueError(f"warn_percent must be a positive finite number, got {warn_percent!r}")
    merged = _normalise_pauses(pauses)

    # Threshold in exact microseconds: the decimal value the user typed
    # (str() of a float), rounded up so that "reaches 75 %" really holds.
    target_us = _td_us(target)
    warn_target = timedelta(microseconds=math.ceil(Fraction(str(warn_percent)) * target_us / 100))

    elapsed, (due_at, warning_at) = _scan(cal, start, at, merged, (target, warn_target))
    if _paused_at(merged, at):
        # Not yet reached and paused: when it will be reached is unknowable.
        if elapsed < target:
            due_at = None
        if elapsed < warn_target:
            warning_at = None
    return TimerFigures(
        elapsed=elapsed,
        remaining=target - elapsed,
        due_at=due_at,
        warning_at=warning_at,
        percent=float(Fraction(_td_us(elapsed) * 100, target_us)),
        breached=elapsed > target or (due_at is not None and due_at < at),
    )
