"""Tests for slm.businesstime: exact table cases plus hypothesis properties.

The strongest check is ``test_matches_high_water_wall_clock_oracle``: an
independent, minute-by-minute re-statement of the definition ("an instant is
business time iff the highest wall-clock reading reached so far lies in an
open span of that reading's date") compared with the interval arithmetic of
the module, on calendars and starts clustered around DST changes.
"""

from __future__ import annotations

import time as _clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slm import businesstime as bt
from slm.businesstime import (
    SEARCH_HORIZON,
    Calendar,
    TimerFigures,
    add_business_time,
    business_time,
    is_business_time,
    timer_figures,
    working_intervals,
)

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)
ZERO = timedelta(0)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
TZS = ("Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")

WEEKDAYS = range(5)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sto(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def weekdays(start: str, end: str, tz: str = "Europe/Stockholm", **kwargs: object) -> Calendar:
    return Calendar.from_hours(tz, {d: (start, end) for d in WEEKDAYS}, **kwargs)


def all_days(start: str, end: str, tz: str) -> Calendar:
    return Calendar.from_hours(tz, {d: (start, end) for d in range(7)})


STO_5_18 = weekdays("05:00", "18:00")
STO_8_17 = weekdays("08:00", "17:00")
UTC_8_17 = weekdays("08:00", "17:00", tz="UTC")


# ==========================================================================
# Table tests: DST
# ==========================================================================


def test_stockholm_spring_forward_week_5_to_18():
    # 2026-03-29 (Sunday) 02:00 CET -> 03:00 CEST; the weekend absorbs it.
    assert business_time(STO_5_18, sto(2026, 3, 23), sto(2026, 3, 30)) == 65 * H
    assert business_time(STO_5_18, sto(2026, 3, 30), sto(2026, 4, 6)) == 65 * H
    friday_17 = sto(2026, 3, 27, 17)
    monday_06 = sto(2026, 3, 30, 6)
    assert business_time(STO_5_18, friday_17, monday_06) == 2 * H
    # Wall clock (in UTC: same-zone subtraction would be naive): one hour lost on Sunday.
    assert monday_06.astimezone(UTC) - friday_17.astimezone(UTC) == 60 * H
    due = add_business_time(STO_5_18, friday_17, 2 * H)
    assert due == monday_06 == utc(2026, 3, 30, 4)
    assert due.tzinfo is UTC


def test_stockholm_fall_back_week_5_to_18():
    # 2026-10-25 (Sunday) 03:00 CEST -> 02:00 CET.
    assert business_time(STO_5_18, sto(2026, 10, 19), sto(2026, 10, 26)) == 65 * H
    assert add_business_time(STO_5_18, sto(2026, 10, 23, 17), 2 * H) == sto(2026, 10, 26, 6)
    assert add_business_time(STO_5_18, sto(2026, 10, 23, 17), 2 * H) == utc(2026, 10, 26, 5)


def test_friday_17_two_hours_due_monday_06_ordinary_weekend():
    assert add_business_time(STO_5_18, sto(2026, 5, 15, 17), 2 * H) == sto(2026, 5, 18, 6)


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        ("Europe/Stockholm", date(2026, 3, 29), 23 * H),
        ("Europe/Stockholm", date(2026, 10, 25), 25 * H),
        ("Europe/Stockholm", date(2026, 3, 28), 24 * H),
        ("America/New_York", date(2026, 3, 8), 23 * H),
        ("America/New_York", date(2026, 11, 1), 25 * H),
        ("Australia/Lord_Howe", date(2026, 10, 4), 23 * H + 30 * MIN),  # 30-minute DST
        ("Australia/Lord_Howe", date(2026, 4, 5), 24 * H + 30 * MIN),
        ("Asia/Kolkata", date(2026, 3, 29), 24 * H),
        ("UTC", date(2026, 3, 29), 24 * H),
    ],
)
def test_full_day_span_has_dst_day_length(tz, day, hours):
    zone = ZoneInfo(tz)
    cal = all_days("00:00", "24:00", tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    assert business_time(cal, start, end) == hours
    assert end.astimezone(UTC) - start.astimezone(UTC) == hours


@pytest.mark.parametrize(
    ("tz", "day", "span", "expected", "opens_utc"),
    [
        # Spring-forward gap 02:00-03:00 in Stockholm: nonexistent times are
        # moved to the first existing instant, 03:00 CEST (01:00 UTC).
        ("Europe/Stockholm", date(2026, 3, 29), ("02:30", "05:00"), 2 * H, utc(2026, 3, 29, 1)),
        ("Europe/Stockholm", date(2026, 3, 29), ("01:00", "04:00"), 2 * H, utc(2026, 3, 29, 0)),
        ("Europe/Stockholm", date(2026, 3, 29), ("01:00", "02:30"), 1 * H, utc(2026, 3, 29, 0)),
        ("Europe/Stockholm", date(2026, 3, 29), ("02:00", "03:00"), ZERO, None),  # entirely in the gap
        # Fall-back: 02:00-03:00 happens twice; ambiguous times take fold=0.
        ("Europe/Stockholm", date(2026, 10, 25), ("02:00", "03:00"), 2 * H, utc(2026, 10, 25, 0)),
        ("Europe/Stockholm", date(2026, 10, 25), ("01:00", "02:30"), 90 * MIN, utc(2026, 10, 24, 23)),
        ("Europe/Stockholm", date(2026, 10, 25), ("02:30", "04:00"), 150 * MIN, utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 3, 8), ("02:30", "03:30"), 30 * MIN, utc(2026, 3, 8, 7)),
        ("America/New_York", date(2026, 11, 1), ("01:30", "02:30"), 2 * H, utc(2026, 11, 1, 5, 30)),
        # Lord Howe: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April.
        ("Australia/Lord_Howe", date(2026, 10, 4), ("02:00", "03:00"), 30 * MIN, utc(2026, 10, 3, 15, 30)),
        ("Australia/Lord_Howe", date(2026, 10, 4), ("02:10", "02:20"), ZERO, None),
        ("Australia/Lord_Howe", date(2026, 4, 5), ("01:30", "02:00"), 1 * H, utc(2026, 4, 4, 14, 30)),
    ],
)
def test_spans_touching_dst_changes(tz, day, span, expected, opens_utc):
    cal = Calendar.from_hours(tz, {day.weekday(): span})
    window = (utc(day.year, day.month, day.day) - 2 * H * 12, utc(day.year, day.month, day.day) + 48 * H)
    intervals = list(working_intervals(cal, *window))
    assert business_time(cal, *window) == expected
    if opens_utc is None:
        assert intervals == []
    else:
        assert len(intervals) == 1
        assert intervals[0][0] == opens_utc


def test_time_with_fold_1_is_treated_as_fold_0():
    cal = Calendar.from_hours("Europe/Stockholm", {6: (time(2, 30, fold=1), time(4))})
    assert cal == Calendar.from_hours("Europe/Stockholm", {6: ("02:30", "04:00")})
    window = (utc(2026, 10, 24), utc(2026, 10, 27))
    assert business_time(cal, *window) == 150 * MIN


# ==========================================================================
# Table tests: schedule, holidays, spans, pauses
# ==========================================================================


def test_domain_example_opened_friday_evening():
    # Opened Friday 21:00 on an 08:00-17:00 weekday schedule: counting
    # starts Monday 08:00, so Monday 09:30 shows 1.5 business hours.
    opened = sto(2026, 5, 15, 21)
    assert business_time(STO_8_17, opened, sto(2026, 5, 18, 9, 30)) == 90 * MIN
    assert business_time(STO_8_17, opened, sto(2026, 5, 18, 8)) == ZERO
    assert not is_business_time(STO_8_17, opened)
    assert add_business_time(STO_8_17, opened, 90 * MIN) == sto(2026, 5, 18, 9, 30)


SWEDISH = weekdays(
    "08:00",
    "17:00",
    holidays=[date(2026, 12, 24), date(2026, 12, 25), "2026-12-26"],
    yearly_holidays=[(1, 1)],
)


def test_holidays_are_skipped():
    assert add_business_time(SWEDISH, sto(2026, 12, 23, 16), 2 * H) == sto(2026, 12, 28, 9)
    # Mon 21 - Wed 23 (27 h) + Mon 28 - Thu 31 (36 h); 24, 25 and 1 Jan closed.
    assert business_time(SWEDISH, sto(2026, 12, 21), sto(2027, 1, 4)) == 63 * H
    assert business_time(STO_8_17, sto(2026, 12, 21), sto(2027, 1, 4)) == 90 * H


def test_start_inside_a_holiday():
    start = sto(2026, 12, 24, 10)
    assert not is_business_time(SWEDISH, start)
    assert is_business_time(STO_8_17, start)
    assert add_business_time(SWEDISH, start, 1 * H) == sto(2026, 12, 28, 9)
    assert business_time(SWEDISH, start, sto(2026, 12, 28, 8)) == ZERO


def test_yearly_holiday_recurs():
    # 2027-01-01 is a Friday, 2029-01-01 a Monday.
    assert add_business_time(SWEDISH, sto(2026, 12, 31, 16, 30), 1 * H) == sto(2027, 1, 4, 8, 30)
    assert add_business_time(SWEDISH, sto(2028, 12, 29, 16), 2 * H) == sto(2029, 1, 2, 9)
    assert SWEDISH.is_holiday(date(2031, 1, 1))


def test_lunch_gap_with_several_spans_a_day():
    cal = Calendar.from_hours("UTC", {d: [("08:00", "12:00"), ("13:00", "17:00")] for d in WEEKDAYS})
    monday = utc(2026, 6, 1)
    assert business_time(cal, monday, monday + 24 * H) == 8 * H
    assert add_business_time(cal, monday + 11 * H, 2 * H) == monday + 14 * H
    # Reached exactly at the end of the morning span: due at 12:00, not 13:00.
    assert add_business_time(cal, monday + 11 * H, 1 * H) == monday + 12 * H
    assert add_business_time(cal, monday + 11 * H, 1 * H + US) == monday + 13 * H + US
    assert not is_business_time(cal, monday + 12 * H + 30 * MIN)
    assert is_business_time(cal, monday + 12 * H - US)
    assert not is_business_time(cal, monday + 12 * H)  # spans are half-open
    assert list(working_intervals(cal, monday + 10 * H, monday + 14 * H)) == [
        (monday + 10 * H, monday + 12 * H),
        (monday + 13 * H, monday + 14 * H),
    ]


def test_pause_inside_hours_shifts_due_by_its_business_part():
    monday = utc(2026, 6, 1)
    start = monday + 9 * H
    assert add_business_time(UTC_8_17, start, 4 * H) == monday + 13 * H
    pause = (monday + 10 * H, monday + 11 * H + 30 * MIN)
    assert add_business_time(UTC_8_17, start, 4 * H, [pause]) == monday + 14 * H + 30 * MIN
    # A pause over the closing time only costs its business part
    # (Mon 16-17 and Tue 08-09): 8 h due Mon 17:00 moves to Tue 10:00.
    overnight = (monday + 16 * H, monday + 33 * H)
    assert add_business_time(UTC_8_17, start, 8 * H) == monday + 17 * H
    assert add_business_time(UTC_8_17, start, 8 * H, [overnight]) == monday + 34 * H
    assert business_time(UTC_8_17, start, monday + 34 * H, [overnight]) == 8 * H


def test_pauses_are_normalised():
    monday = utc(2026, 6, 1)
    start = monday + 9 * H
    messy = [
        (monday + 11 * H, monday + 12 * H),
        (monday + 10 * H, monday + 11 * H + 30 * MIN),  # overlaps the first
        (monday - 48 * H, monday + 9 * H + 30 * MIN),  # starts before `start`
        (monday + 12 * H, monday + 12 * H),  # empty
        (monday + 12 * H, (monday + 12 * H + 15 * MIN).astimezone(STOCKHOLM)),  # touching, other tz
    ]
    # Paused 09:00-09:30 and 10:00-12:15 -> 2h45 of a 4 h target is lost.
    assert add_business_time(UTC_8_17, start, 4 * H, messy) == monday + 15 * H + 45 * MIN
    assert business_time(UTC_8_17, start, monday + 17 * H, messy) == 8 * H - 2 * H - 45 * MIN


def test_open_pause_makes_due_unreachable():
    monday = utc(2026, 6, 1)
    start = monday + 9 * H
    assert add_business_time(UTC_8_17, start, 4 * H, [(monday + 10 * H, None)]) is None
    # An open pause that starts after the due instant does not matter.
    assert add_business_time(UTC_8_17, start, 4 * H, [(monday + 14 * H, None)]) == monday + 13 * H
    assert business_time(UTC_8_17, start, monday + 40 * H, [(monday + 10 * H, None)]) == 1 * H


def test_zero_duration_is_due_at_start():
    start = sto(2026, 5, 16, 3)  # Saturday night: not business time
    assert add_business_time(STO_8_17, start, ZERO) == start
    assert add_business_time(Calendar(), start, ZERO) == start


def test_end_before_start_is_zero():
    assert business_time(UTC_8_17, utc(2026, 6, 2), utc(2026, 6, 1)) == ZERO
    assert list(working_intervals(UTC_8_17, utc(2026, 6, 2), utc(2026, 6, 1))) == []


def test_input_time_zone_is_irrelevant():
    start = utc(2026, 6, 1, 9)
    for tz in TZS:
        local = start.astimezone(ZoneInfo(tz))
        assert add_business_time(UTC_8_17, local, 3 * H) == utc(2026, 6, 1, 12)
        assert business_time(UTC_8_17, local, utc(2026, 6, 1, 12).astimezone(ZoneInfo(tz))) == 3 * H


def test_kolkata_half_hour_offset():
    cal = weekdays("09:00", "17:00", tz="Asia/Kolkata")
    start = datetime(2026, 6, 1, 16, tzinfo=KOLKATA)
    assert add_business_time(cal, start, 2 * H) == utc(2026, 6, 2, 4, 30)  # Tue 10:00 IST


# ==========================================================================
# Table tests: empty calendar, horizon, performance
# ==========================================================================


def test_empty_calendar_counts_nothing_and_returns_quickly():
    cal = Calendar(tz="Europe/Stockholm")
    start = sto(2026, 1, 5, 9)
    began = _clock.perf_counter()
    assert add_business_time(cal, start, 4 * H) is None
    assert _clock.perf_counter() - began < 0.1
    assert business_time(cal, start, start + 1000 * 24 * H) == ZERO
    assert not is_business_time(cal, start)


def test_sparse_calendar_hits_the_horizon_quickly():
    # One hour a week for ~3 years is ~157 h: a 1000 h target is unreachable.
    cal = Calendar.from_hours("Australia/Lord_Howe", {0: ("02:00", "03:00")})
    start = utc(2026, 1, 5)
    bt._localized_day.cache_clear()  # measure the cold walk
    began = _clock.perf_counter()
    assert add_business_time(cal, start, 1000 * H) is None
    assert _clock.perf_counter() - began < 0.1
    reachable = business_time(cal, start, start + SEARCH_HORIZON)
    assert 150 * H < reachable < 160 * H
    assert add_business_time(cal, start, reachable) is not None
    assert add_business_time(cal, start, reachable + US) is None


def test_full_calendar_long_walk_is_cheap():
    cal = all_days("00:00", "24:00", "Europe/Stockholm")
    start = utc(2026, 1, 5)
    bt._localized_day.cache_clear()
    began = _clock.perf_counter()
    assert add_business_time(cal, start, SEARCH_HORIZON) == start + SEARCH_HORIZON
    assert add_business_time(cal, start, SEARCH_HORIZON + US) is None
    assert _clock.perf_counter() - began < 0.5


def test_always_open_equals_wall_clock_and_has_the_same_horizon():
    cal = Calendar.twenty_four_seven("Europe/Stockholm")
    start = sto(2026, 3, 28, 22)
    assert add_business_time(cal, start, 10 * H) == start.astimezone(UTC) + 10 * H
    assert business_time(cal, sto(2026, 3, 29), sto(2026, 3, 30)) == 23 * H
    assert is_business_time(cal, start)
    assert add_business_time(cal, start, SEARCH_HORIZON + US) is None


# ==========================================================================
# Table tests: timer_figures
# ==========================================================================

MONDAY = utc(2026, 6, 1)
T_START = MONDAY + 8 * H  # 4 h target on 08-17 UTC: due 12:00, warning 11:00


def figures(now: datetime, pauses=(), **kwargs) -> TimerFigures:
    return timer_figures(UTC_8_17, T_START, 4 * H, pauses, now, **kwargs)


def test_timer_running():
    f = figures(MONDAY + 10 * H)
    assert f == TimerFigures(
        elapsed=2 * H,
        remaining=2 * H,
        due_at=MONDAY + 12 * H,
        warning_at=MONDAY + 11 * H,
        percent=50.0,
        breached=False,
    )


def test_timer_paused():
    open_pause = [(MONDAY + 10 * H, None)]
    f = figures(MONDAY + 11 * H, open_pause)
    assert (f.elapsed, f.remaining, f.due_at, f.warning_at, f.percent, f.breached) == (
        2 * H,
        2 * H,
        None,
        None,
        50.0,
        False,
    )
    # A closed pause containing `now` is "currently paused" too.
    f = figures(MONDAY + 11 * H, [(MONDAY + 10 * H, MONDAY + 12 * H)])
    assert f.due_at is None and f.warning_at is None and f.elapsed == 2 * H
    # Once the pause is over the deadline is known again, 2 h later.
    f = figures(MONDAY + 12 * H, [(MONDAY + 10 * H, MONDAY + 12 * H)])
    assert f.due_at == MONDAY + 14 * H and f.warning_at == MONDAY + 13 * H
    # Paused after the warning threshold: warning_at is history and stays.
    f = figures(MONDAY + 12 * H, [(MONDAY + 11 * H + 30 * MIN, None)])
    assert f.warning_at == MONDAY + 11 * H and f.due_at is None
    assert f.elapsed == 3 * H + 30 * MIN and f.percent == 87.5


def test_timer_breached_keeps_counting():
    f = figures(MONDAY + 14 * H)
    assert f.elapsed == 6 * H
    assert f.remaining == -2 * H
    assert f.percent == 150.0
    assert f.breached
    assert f.due_at == MONDAY + 12 * H
    assert f.warning_at == MONDAY + 11 * H


def test_timer_breach_boundary_is_strict():
    assert not figures(MONDAY + 12 * H).breached
    assert figures(MONDAY + 12 * H + US).breached


def test_timer_breached_after_hours_and_while_paused():
    # Due exactly at 17:00 closing; at 20:00 elapsed == target but the
    # deadline has passed, and pausing afterwards does not un-breach it.
    start = MONDAY + 13 * H
    f = timer_figures(UTC_8_17, start, 4 * H, [], MONDAY + 20 * H)
    assert f.elapsed == 4 * H and f.remaining == ZERO and f.breached
    f = timer_figures(UTC_8_17, start, 4 * H, [(MONDAY + 18 * H, None)], MONDAY + 20 * H)
    assert f.due_at == MONDAY + 17 * H and f.breached


def test_timer_stopped_met():
    f = figures(MONDAY + 15 * H, stopped_at=MONDAY + 11 * H + 30 * MIN)
    assert f.elapsed == 3 * H + 30 * MIN
    assert f.remaining == 30 * MIN
    assert f.percent == 87.5
    assert not f.breached
    assert f.due_at == MONDAY + 12 * H  # the deadline it was measured against
    assert f.warning_at == MONDAY + 11 * H


def test_timer_stopped_exactly_at_due_is_met():
    f = figures(MONDAY + 20 * H, stopped_at=MONDAY + 12 * H)
    assert f.elapsed == 4 * H and not f.breached and f.percent == 100.0


def test_timer_warn_percent():
    assert figures(MONDAY + 9 * H).warning_at == MONDAY + 11 * H
    f = timer_figures(UTC_8_17, T_START, 4 * H, [], MONDAY + 9 * H, warn_percent=50)
    assert f.warning_at == MONDAY + 10 * H
    # Thresholds are exact decimals rounded up to the microsecond.
    f = timer_figures(UTC_8_17, T_START, 3 * H, [], MONDAY + 9 * H, warn_percent=33.3)
    assert f.warning_at == T_START + timedelta(seconds=3596, microseconds=400000)


def test_timer_unreachable():
    f = timer_figures(Calendar(), T_START, 4 * H, [], MONDAY + 10 * H)
    assert f == TimerFigures(ZERO, 4 * H, None, None, 0.0, False)


# ==========================================================================
# Validation
# ==========================================================================

NAIVE = datetime(2026, 6, 1, 9)  # noqa: DTZ001 - deliberately naive


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: business_time(UTC_8_17, NAIVE, MONDAY), "start"),
        (lambda: business_time(UTC_8_17, MONDAY, NAIVE), "end"),
        (lambda: business_time(UTC_8_17, MONDAY, T_START, [(NAIVE, None)]), r"pauses\[0\]\[0\]"),
        (
            lambda: business_time(UTC_8_17, MONDAY, T_START, [(MONDAY, T_START), (MONDAY, NAIVE)]),
            r"pauses\[1\]\[1\]",
        ),
        (lambda: add_business_time(UTC_8_17, NAIVE, H), "start"),
        (lambda: is_business_time(UTC_8_17, NAIVE), "instant"),
        (lambda: working_intervals(UTC_8_17, MONDAY, NAIVE), "end"),
        (lambda: timer_figures(UTC_8_17, NAIVE, H, [], MONDAY), "start"),
        (lambda: timer_figures(UTC_8_17, MONDAY, H, [], NAIVE), "now"),
        (lambda: timer_figures(UTC_8_17, MONDAY, H, [], MONDAY, stopped_at=NAIVE), "stopped_at"),
    ],
)
def test_naive_datetimes_are_rejected(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"tz": "Mars/Olympus_Mons"}, ValueError),
        ({"weekly": {7: [(time(8), time(9))]}}, ValueError),
        ({"weekly": {0: [(time(9), time(8))]}}, ValueError),
        ({"weekly": {0: [(time(8), time(8))]}}, ValueError),
        ({"weekly": {0: [(time(8), time(12)), (time(11), time(13))]}}, ValueError),
        ({"weekly": {0: [(time(8, tzinfo=UTC), time(12))]}}, ValueError),
        ({"weekly": {0: [("24:00", "24:00")]}}, ValueError),
        ({"weekly": {0: [("8am", "5pm")]}}, ValueError),
        ({"holidays": [datetime(2026, 1, 1, tzinfo=UTC)]}, TypeError),
        ({"yearly_holidays": [(2, 30)]}, ValueError),
        ({"always_open": True, "weekly": {0: [("08:00", "17:00")]}}, ValueError),
        ({"always_open": True, "holidays": [date(2026, 12, 24)]}, ValueError),
    ],
)
def test_invalid_calendars_are_rejected(kwargs, error):
    with pytest.raises(error):
        Calendar(**kwargs)


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="duration"):
        add_business_time(UTC_8_17, MONDAY, -US)
    with pytest.raises(TypeError, match="duration"):
        add_business_time(UTC_8_17, MONDAY, 3600)
    with pytest.raises(ValueError, match="ends before it starts"):
        business_time(UTC_8_17, MONDAY, T_START, [(T_START, MONDAY)])
    with pytest.raises(ValueError, match="target"):
        timer_figures(UTC_8_17, MONDAY, ZERO, [], T_START)
    with pytest.raises(ValueError, match="warn_percent"):
        timer_figures(UTC_8_17, MONDAY, H, [], T_START, warn_percent=0)
    with pytest.raises(TypeError, match="Calendar"):
        business_time({"tz": "UTC"}, MONDAY, T_START)
    with pytest.raises(ValueError, match="range"):
        add_business_time(UTC_8_17, datetime.max.replace(tzinfo=UTC), H)


def test_calendar_is_hashable_and_normalised():
    a = Calendar.from_hours(
        "Europe/Stockholm",
        {0: ("08:00", "17:00"), 1: [("13:00", "17:00"), (time(8), time(12))]},
        holidays=["2026-12-24"],
        yearly_holidays=["01-01"],
    )
    b = Calendar(
        tz="Europe/Stockholm",
        weekly={1: ((time(8), time(12)), (time(13), time(17))), 0: ((time(8), time(17)),)},
        holidays=frozenset({date(2026, 12, 24)}),
        yearly_holidays=frozenset({(1, 1)}),
    )
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.weekly[1] == ((time(8), time(12)), (time(13), time(17)))
    assert a.weekly[6] == ()
    assert a.weekly.get(9) is None
    assert dict(a.weekly)[0] == ((time(8), time(17)),)
    assert Calendar.from_hours("UTC", {0: ("00:00", "24:00")}).weekly[0] == ((time(0), time(0)),)
    with pytest.raises(AttributeError):
        a.tz = "UTC"  # frozen


# ==========================================================================
# Hypothesis strategies
# ==========================================================================


def _transitions(tz: str) -> list[datetime]:
    """UTC instants where the zone's offset changes, Dec 2023 - Jan 2028."""
    zone = ZoneInfo(tz)
    out = []
    day = utc(2023, 12, 1)
    while day < utc(2028, 2, 1):
        nxt = day + 24 * H
        if day.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = day, nxt
            while hi - lo > US:
                mid = lo + (hi - lo) // 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        day = nxt
    return out


TRANSITIONS = {tz: _transitions(tz) for tz in TZS}
assert sum(map(len, TRANSITIONS.values())) == 4 * 2 * 3  # Stockholm, New York, Lord Howe: 2 a year

BASE = utc(2024, 1, 1)
FOUR_YEARS_MIN = (utc(2028, 1, 1) - BASE) // MIN


def minute_instants(tz: str) -> st.SearchStrategy[datetime]:
    """UTC minute-grid instants over 2024-2027, half of them just around a DST
    change of `tz` itself (so that the calendar's own transitions get hit)."""
    anywhere = st.integers(0, FOUR_YEARS_MIN).map(lambda m: BASE + m * MIN)
    if not TRANSITIONS[tz]:
        return anywhere
    near = st.builds(
        lambda t, m: t + m * MIN, st.sampled_from(TRANSITIONS[tz]), st.integers(-36 * 60, 12 * 60)
    )
    return st.one_of(anywhere, near)


def instants(tz: str) -> st.SearchStrategy[datetime]:
    """Like minute_instants, sometimes with microsecond jitter, and expressed
    in a random zone (the module must treat it as a plain instant)."""
    return st.builds(
        lambda t, us, zone: (t + us * US).astimezone(ZoneInfo(zone)),
        minute_instants(tz),
        st.one_of(st.just(0), st.integers(0, 60 * 10**6 - 1)),
        st.sampled_from(TZS),
    )


def _tod(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


def _pairs(points: set[int]) -> tuple[tuple[time, time], ...]:
    pts = sorted(points)
    if len(pts) % 2:
        pts = pts[:-1]
    return tuple((_tod(pts[i]), _tod(pts[i + 1])) for i in range(0, len(pts), 2))


# Span boundaries in minutes of the day, biased to the DST-relevant 01:00-03:00
# (gaps: 02:00-03:00 Stockholm/New York, 02:00-02:30 Lord Howe; repeats:
# 02:00-03:00 Stockholm, 01:00-02:00 New York, 01:30-02:00 Lord Howe).
boundary = st.one_of(
    st.sampled_from([60, 75, 90, 100, 120, 130, 140, 150, 170, 180]),
    st.sampled_from([0, 300, 480, 720, 780, 1020, 1080, 1440]),
    st.integers(0, 1440),
)
day_spans = st.one_of(
    st.just(()),
    st.just(((time(0), time(0)),)),
    st.sets(boundary, min_size=2, max_size=6).map(_pairs),
    st.sets(boundary, min_size=2, max_size=6).map(_pairs),
)
# Real schedules repeat: two day templates assigned to weekdays (or closed).
# Also much cheaper for hypothesis to generate than seven independent days.
weekly = st.builds(
    lambda a, b, plan: {wd: (a, b, ())[k] for wd, k in enumerate(plan)},
    day_spans,
    day_spans,
    st.lists(st.integers(0, 2), min_size=7, max_size=7),
)


def zoned_calendars(tz: str) -> st.SearchStrategy[Calendar]:
    return st.builds(
        Calendar,
        tz=st.just(tz),
        weekly=weekly,
        holidays=st.frozensets(st.dates(date(2023, 12, 1), date(2028, 6, 30)), max_size=8),
        yearly_holidays=st.frozensets(
            st.one_of(st.tuples(st.integers(1, 12), st.integers(1, 28)), st.just((2, 29))), max_size=4
        ),
    )


def cases(instant=instants) -> st.SearchStrategy[tuple[Calendar, datetime]]:
    """(calendar, start) with the start drawn around the calendar's own DST changes."""
    # one_of over prebuilt strategies rather than flatmap: flatmap builds a
    # fresh strategy per example, which dominated the run time.
    return st.one_of(*(st.tuples(zoned_calendars(tz), instant(tz)) for tz in TZS))


durations = st.one_of(
    st.integers(0, 120 * 60).map(lambda m: m * MIN),
    st.integers(0, 120 * 3600 * 10**6).map(lambda us: us * US),
)


@st.composite
def pause_lists(draw, start: datetime, grid: timedelta = US, allow_open: bool = True):
    """Up to 4 closed pauses around `start` (some before it), maybe one open."""
    unit = draw(st.sampled_from([MIN, grid])) if grid != MIN else MIN
    scale = MIN // unit
    zone = start.tzinfo  # pauses are handed over in the start's zone
    base = start.astimezone(UTC)
    out = []
    for _ in range(draw(st.integers(0, 4))):
        lo = base + draw(st.integers(-2 * 1440 * scale, 10 * 1440 * scale)) * unit
        hi = lo + draw(st.integers(0, 3 * 1440 * scale)) * unit
        out.append((lo.astimezone(zone), hi.astimezone(zone)))
    if allow_open and draw(st.integers(0, 7)) == 0:
        out.append(((base + draw(st.integers(-1440, 14 * 1440)) * MIN).astimezone(zone), None))
    return out


PROPS = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])


# ==========================================================================
# Properties
# ==========================================================================


@PROPS
@given(case=cases(), d=durations, data=st.data())
def test_add_then_measure_round_trips(case, d, data):
    cal, start = case
    pauses = data.draw(pause_lists(start))
    due = add_business_time(cal, start, d, pauses)
    if due is not None:
        assert due.tzinfo is UTC
        assert start <= due <= start.astimezone(UTC) + SEARCH_HORIZON
        assert business_time(cal, start, due, pauses) == d


@PROPS
@given(case=cases(), d=durations, data=st.data())
def test_due_at_is_minimal(case, d, data):
    cal, start = case
    assume(d > ZERO)
    pauses = data.draw(pause_lists(start))
    due = add_business_time(cal, start, d, pauses)
    if due is not None:
        # The microsecond just before due still counted, so due is the first
        # instant at which the target is met.
        assert business_time(cal, start, due - US, pauses) == d - US
        assert is_business_time(cal, due - US)


@PROPS
@given(case=cases(), a=durations, b=durations, data=st.data())
def test_monotone(case, a, b, data):
    cal, start = case
    pauses = data.draw(pause_lists(start))
    a, b = sorted((a, b))
    # UTC arithmetic: `aware + timedelta` in a ZoneInfo zone is wall-clock arithmetic.
    t1, t2 = start.astimezone(UTC) + a, start.astimezone(UTC) + b
    assert business_time(cal, start, t1, pauses) <= business_time(cal, start, t2, pauses)
    due_a = add_business_time(cal, start, a, pauses)
    due_b = add_business_time(cal, start, b, pauses)
    if due_b is not None:
        assert due_a is not None and due_a <= due_b


@PROPS
@given(case=cases(), gaps=st.lists(durations, min_size=2, max_size=2), data=st.data())
def test_additive(case, gaps, data):
    cal, s = case
    pauses = data.draw(pause_lists(s))
    t = s.astimezone(UTC) + gaps[0] * 3
    u = t + gaps[1] * 3
    assert business_time(cal, s, u, pauses) == business_time(cal, s, t, pauses) + business_time(
        cal, t, u, pauses
    )


@PROPS
@given(case=cases(), d=durations, data=st.data())
def test_extra_pause_never_shortens(case, d, data):
    cal, start = case
    pauses = data.draw(pause_lists(start))
    extra = data.draw(pause_lists(start))
    more = pauses + extra
    due = add_business_time(cal, start, d, pauses)
    due_more = add_business_time(cal, start, d, more)
    if due_more is not None:
        assert due is not None and due <= due_more
    end = start.astimezone(UTC) + d * 2
    assert business_time(cal, start, end, more) <= business_time(cal, start, end, pauses)


def _wall_minus_pauses(start: datetime, end: datetime, pauses) -> timedelta:
    """Independent reference for a 24x7 calendar: |[start, end] minus union(pauses)|."""
    if end <= start:
        return ZERO
    clipped = []
    for lo, hi in pauses:
        # Via UTC: subtracting two datetimes of one ZoneInfo zone is naive.
        lo = max(lo.astimezone(UTC), start)
        hi = end if hi is None else min(hi.astimezone(UTC), end)
        if lo < hi:
            clipped.append((lo, hi))
    clipped.sort()
    paused, reach = ZERO, start
    for lo, hi in clipped:
        lo = max(lo, reach)
        if hi > lo:
            paused += hi - lo
            reach = hi
    return end - start - paused


@PROPS
@given(
    tz_start=st.one_of(*(st.tuples(st.just(tz), instants(tz)) for tz in TZS)),
    d=durations,
    data=st.data(),
)
def test_24x7_equals_wall_clock(tz_start, d, data):
    tz, start = tz_start
    pauses = data.draw(pause_lists(start))
    start_utc = start.astimezone(UTC)
    end = start_utc + d * 5
    always = Calendar.twenty_four_seven(tz)
    # A 7 x 00:00-24:00 calendar must also be seamless across DST changes.
    full = all_days("00:00", "24:00", tz)
    expected = _wall_minus_pauses(start_utc, end, pauses)
    assert business_time(always, start, end, pauses) == expected
    assert business_time(full, start, end, pauses) == expected
    assert add_business_time(always, start, d) == start_utc + d
    assert add_business_time(full, start, d) == start_utc + d
    assert add_business_time(full, start, d, pauses) == add_business_time(always, start, d, pauses)


@PROPS
@given(case=cases(), d=durations, data=st.data())
def test_never_exceeds_wall_clock(case, d, data):
    cal, start = case
    pauses = data.draw(pause_lists(start))
    end = start.astimezone(UTC) + d * 3
    measured = business_time(cal, start, end, pauses)
    assert ZERO <= measured <= end - start.astimezone(UTC)
    assert measured <= business_time(cal, start, end)


@PROPS
@given(case=cases(), d=durations)
def test_working_intervals_are_well_formed(case, d):
    cal, start = case
    end = start.astimezone(UTC) + d * 4
    intervals = list(working_intervals(cal, start, end))
    previous_end = start
    total = ZERO
    for lo, hi in intervals:
        assert lo.tzinfo is UTC and hi.tzinfo is UTC
        assert previous_end <= lo < hi <= end
        assert is_business_time(cal, lo) and is_business_time(cal, hi - US)
        previous_end = hi
        total += hi - lo
    assert total == business_time(cal, start, end)


@PROPS
@given(case=cases(), target=durations, now_after=durations, stop=st.booleans(), data=st.data())
def test_timer_figures_agree_with_the_primitives(case, target, now_after, stop, data):
    cal, start = case
    assume(target > ZERO)
    pauses = data.draw(pause_lists(start))
    now = start.astimezone(UTC) + now_after * 2
    stopped_at = now - now_after if stop else None
    at = now if stopped_at is None else stopped_at
    f = timer_figures(cal, start, target, pauses, now, stopped_at=stopped_at)
    assert f.elapsed == business_time(cal, start, at, pauses)
    assert f.remaining == target - f.elapsed
    assert f.percent == pytest.approx(f.elapsed / target * 100)
    due = add_business_time(cal, start, target, pauses)
    paused = any(lo <= at and (hi is None or at < hi) for lo, hi in pauses)
    if paused and f.elapsed < target:
        assert f.due_at is None
    else:
        assert f.due_at == due
    assert f.breached == (f.elapsed > target or (due is not None and due < at))
    if f.warning_at is not None and f.due_at is not None:
        assert f.warning_at <= f.due_at


# --------------------------------------------------------------------------
# Independent oracle: the "high-water wall clock" formulation, per minute.
# --------------------------------------------------------------------------


def _open_at(cal: Calendar, wall: datetime) -> bool:
    day = wall.date()
    if day in cal.holidays or (day.month, day.day) in cal.yearly_holidays:
        return False
    minute = wall.hour * 60 + wall.minute
    for a, b in cal.weekly[day.weekday()]:
        lo = a.hour * 60 + a.minute
        hi = (b.hour * 60 + b.minute) or 1440
        if lo <= minute < hi:
            return True
    return False


def _oracle_minutes(cal: Calendar, start: datetime, end: datetime, pauses) -> tuple[set[int], set[int]]:
    """Minute indices (from start) that are business time, without / with pauses."""
    zone = ZoneInfo(cal.tz)
    high = None
    working, counted = set(), set()
    u = start - 2 * H  # prime the high-water mark (DST shifts are <= 1 h)
    while u < end:
        wall = u.astimezone(zone).replace(tzinfo=None)
        high = wall if high is None or wall > high else high
        if u >= start and _open_at(cal, high):
            k = (u - start) // MIN
            working.add(k)
            if not any(lo <= u and (hi is None or u < hi) for lo, hi in pauses):
                counted.add(k)
        u += MIN
    return working, counted


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(minute_instants), length=st.integers(0, 2 * 1440), data=st.data())
def test_matches_high_water_wall_clock_oracle(case, length, data):
    cal, start = case
    end = start + length * MIN
    pauses = data.draw(pause_lists(start, grid=MIN))
    working, counted = _oracle_minutes(cal, start, end, pauses)
    got = set()
    for lo, hi in working_intervals(cal, start, end):
        # Every boundary must sit on the minute grid here (transitions do).
        assert (lo - start) % MIN == ZERO and (hi - start) % MIN == ZERO
        got.update(range((lo - start) // MIN, (hi - start) // MIN))
    assert got == working
    assert business_time(cal, start, end, pauses) == len(counted) * MIN
