"""Conflict detection and maintenance windows: pure functions, no database."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from changes.choices import ChangeType, ConflictKind
from changes.conflicts import (
    ChangeSpec,
    FreezeSpec,
    Interval,
    WeeklyWindow,
    detect_conflicts,
    merge,
    normalize_ci,
)

STHLM = ZoneInfo("Europe/Stockholm")
NY = ZoneInfo("America/New_York")
EMAIL, ERP = 1, 2


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spec(start, end, *, id=1, number="CHG0001001", services=(), cis=()):
    keys = {normalize_ci(c): c for c in cis}
    return ChangeSpec(
        id=id,
        number=number,
        start=start,
        end=end,
        service_ids=frozenset(services),
        cis=frozenset(keys),
        ci_labels=keys,
    )


def kinds(conflicts):
    return [c.kind for c in conflicts]


QUARTER_END = FreezeSpec(id=7, name="Quarter end", start=utc(2030, 3, 28), end=utc(2030, 4, 1))


# --- Freeze windows ------------------------------------------------------------------------------


def test_normal_change_in_freeze_is_a_blocking_conflict():
    found = detect_conflicts(
        spec(utc(2030, 3, 30, 22), utc(2030, 3, 31, 2)), change_type=ChangeType.NORMAL, freezes=[QUARTER_END]
    )
    assert kinds(found) == [ConflictKind.FREEZE]
    assert found[0].blocking is True
    assert found[0].freeze_name == "Quarter end"


@pytest.mark.parametrize("change_type", [ChangeType.EMERGENCY, ChangeType.STANDARD])
def test_freeze_only_warns_for_emergency_and_standard_changes(change_type):
    found = detect_conflicts(
        spec(utc(2030, 3, 30), utc(2030, 3, 30, 1)), change_type=change_type, freezes=[QUARTER_END]
    )
    assert kinds(found) == [ConflictKind.FREEZE]
    assert found[0].blocking is False


def test_window_touching_the_freeze_edges_is_not_in_it():
    before = spec(utc(2030, 3, 27, 22), utc(2030, 3, 28))
    after = spec(utc(2030, 4, 1), utc(2030, 4, 1, 2))
    for candidate in (before, after):
        assert detect_conflicts(candidate, change_type=ChangeType.NORMAL, freezes=[QUARTER_END]) == []


def test_freeze_limited_to_services_applies_only_to_them():
    erp_only = FreezeSpec(
        id=8, name="ERP close", start=utc(2030, 3, 28), end=utc(2030, 4, 1), service_ids=frozenset({ERP})
    )
    window = (utc(2030, 3, 29, 1), utc(2030, 3, 29, 2))
    assert detect_conflicts(spec(*window, services=[EMAIL]), change_type="normal", freezes=[erp_only]) == []
    assert kinds(
        detect_conflicts(spec(*window, services=[ERP, EMAIL]), change_type="normal", freezes=[erp_only])
    ) == [ConflictKind.FREEZE]


def test_freeze_detection_is_time_zone_correct():
    """The freeze starts 2030-03-28 00:00 UTC = 01:00 in Stockholm (CET) = 20:00 the day before
    in New York (EDT). Windows given in local time zones are compared as instants."""
    # 00:30 Stockholm is 23:30 UTC the day before: outside.
    stockholm_early = spec(
        datetime(2030, 3, 28, 0, 30, tzinfo=STHLM), datetime(2030, 3, 28, 0, 59, tzinfo=STHLM)
    )
    assert detect_conflicts(stockholm_early, change_type="normal", freezes=[QUARTER_END]) == []
    # 01:30 Stockholm is 00:30 UTC: inside.
    stockholm_late = spec(datetime(2030, 3, 28, 1, 30, tzinfo=STHLM), datetime(2030, 3, 28, 2, tzinfo=STHLM))
    assert kinds(detect_conflicts(stockholm_late, change_type="normal", freezes=[QUARTER_END])) == ["freeze"]
    # 20:30 on the 27th in New York is 00:30 UTC on the 28th: inside, though the local date is the 27th.
    new_york = spec(datetime(2030, 3, 27, 20, 30, tzinfo=NY), datetime(2030, 3, 27, 21, tzinfo=NY))
    found = detect_conflicts(new_york, change_type="normal", freezes=[QUARTER_END])
    assert kinds(found) == ["freeze"]
    assert found[0].start == utc(2030, 3, 28, 0, 30)


# --- Maintenance windows -------------------------------------------------------------------------

SUNDAY_NIGHT = WeeklyWindow(
    service_id=EMAIL,
    weekday=6,
    start_time=time(2),
    end_time=time(6),
    time_zone="Europe/Stockholm",
    service_name="E-mail",
)


def test_weekly_window_follows_daylight_saving_time():
    winter = SUNDAY_NIGHT.occurrences(utc(2030, 1, 5), utc(2030, 1, 7))
    summer = SUNDAY_NIGHT.occurrences(utc(2030, 7, 6), utc(2030, 7, 8))
    assert winter == [Interval(utc(2030, 1, 6, 1), utc(2030, 1, 6, 5))]  # CET, UTC+1
    assert summer == [Interval(utc(2030, 7, 7, 0), utc(2030, 7, 7, 4))]  # CEST, UTC+2


def test_weekly_window_on_the_days_the_clocks_change():
    # 2030-03-31: 02:00 CET jumps to 03:00 CEST. 02:00 does not exist: the window opens at the
    # instant the clocks jump (01:00 UTC) and ends at 06:00 CEST (04:00 UTC): three real hours.
    spring = SUNDAY_NIGHT.occurrences(utc(2030, 3, 30), utc(2030, 4, 1))
    assert spring == [Interval(utc(2030, 3, 31, 1), utc(2030, 3, 31, 4))]
    # 2030-10-27: 03:00 CEST falls back to 02:00 CET. 02:00 is ambiguous: the first one (CEST,
    # 00:00 UTC) is taken; 06:00 CET is 05:00 UTC: five real hours.
    autumn = SUNDAY_NIGHT.occurrences(utc(2030, 10, 26), utc(2030, 10, 28))
    assert autumn == [Interval(utc(2030, 10, 27, 0), utc(2030, 10, 27, 5))]


def test_window_over_midnight_ends_the_next_day():
    weekend = WeeklyWindow(
        service_id=ERP, weekday=5, start_time=time(22), end_time=time(4), time_zone="Europe/Stockholm"
    )
    assert weekend.occurrences(utc(2030, 1, 1), utc(2030, 1, 8)) == [
        Interval(utc(2030, 1, 5, 21), utc(2030, 1, 6, 3))
    ]


def test_occurrences_cover_the_whole_range():
    found = SUNDAY_NIGHT.occurrences(utc(2030, 1, 1), utc(2030, 2, 1))
    assert [o.start.day for o in found] == [6, 13, 20, 27]


@pytest.mark.parametrize(
    ("start", "end", "outside"),
    [
        (utc(2030, 1, 6, 1), utc(2030, 1, 6, 5), False),  # exactly the winter window
        (utc(2030, 1, 6, 2), utc(2030, 1, 6, 3), False),
        (utc(2030, 1, 6, 0, 30), utc(2030, 1, 6, 2), True),  # starts before it opens
        (utc(2030, 1, 6, 4), utc(2030, 1, 6, 6), True),  # runs past its end
        (utc(2030, 1, 8, 1), utc(2030, 1, 8, 2), True),  # a Tuesday
        (utc(2030, 7, 7, 0), utc(2030, 7, 7, 4), False),  # the summer window
        (utc(2030, 7, 7, 4), utc(2030, 7, 7, 5), True),  # 06:00-07:00 local in summer
    ],
)
def test_outside_maintenance_window(start, end, outside):
    found = detect_conflicts(
        spec(start, end, services=[EMAIL]), change_type="normal", maintenance=[SUNDAY_NIGHT]
    )
    assert kinds(found) == ([ConflictKind.OUTSIDE_MAINTENANCE] if outside else [])
    if outside:
        assert found[0].service_name == "E-mail" and found[0].blocking is False


def test_adjacent_windows_are_joined():
    early = WeeklyWindow(service_id=EMAIL, weekday=6, start_time=time(0), end_time=time(2), time_zone="UTC")
    late = WeeklyWindow(service_id=EMAIL, weekday=6, start_time=time(2), end_time=time(4), time_zone="UTC")
    window = spec(utc(2030, 1, 6, 1), utc(2030, 1, 6, 3), services=[EMAIL])
    assert detect_conflicts(window, change_type="normal", maintenance=[early, late]) == []
    assert merge(
        [Interval(utc(2030, 1, 1, 2), utc(2030, 1, 1, 4)), Interval(utc(2030, 1, 1), utc(2030, 1, 1, 2))]
    ) == [Interval(utc(2030, 1, 1), utc(2030, 1, 1, 4))]


def test_services_without_maintenance_windows_are_unconstrained():
    found = detect_conflicts(
        spec(utc(2030, 1, 8, 12), utc(2030, 1, 8, 13), services=[ERP]),
        change_type="normal",
        maintenance=[SUNDAY_NIGHT],
    )
    assert found == []


# --- Overlapping changes -------------------------------------------------------------------------


def test_overlap_on_the_same_service():
    mine = spec(utc(2030, 1, 6, 1), utc(2030, 1, 6, 3), services=[EMAIL, ERP])
    other = spec(utc(2030, 1, 6, 2), utc(2030, 1, 6, 4), id=2, number="CHG0001002", services=[ERP])
    found = detect_conflicts(mine, change_type="normal", others=[other], service_names={ERP: "ERP"})
    assert kinds(found) == [ConflictKind.OVERLAP_SERVICE]
    conflict = found[0]
    assert (conflict.change_number, conflict.service_name) == ("CHG0001002", "ERP")
    assert (conflict.start, conflict.end) == (utc(2030, 1, 6, 2), utc(2030, 1, 6, 3))


def test_overlap_on_the_same_configuration_item_ignores_case():
    mine = spec(utc(2030, 1, 6, 1), utc(2030, 1, 6, 3), cis=["DB01", "web01"])
    other = spec(utc(2030, 1, 6, 2), utc(2030, 1, 6, 4), id=2, number="CHG0001002", cis=["db01 "])
    found = detect_conflicts(mine, change_type="normal", others=[other])
    assert kinds(found) == [ConflictKind.OVERLAP_CI]
    assert found[0].ci == "DB01"


def test_configuration_items_match_exactly_not_by_prefix():
    mine = spec(utc(2030, 1, 6, 1), utc(2030, 1, 6, 3), cis=["db01"])
    other = spec(utc(2030, 1, 6, 2), utc(2030, 1, 6, 4), id=2, number="CHG0001002", cis=["db011", "db0"])
    assert detect_conflicts(mine, change_type="normal", others=[other]) == []


def test_no_overlap_when_windows_only_touch_or_share_nothing():
    mine = spec(utc(2030, 1, 6, 1), utc(2030, 1, 6, 3), services=[EMAIL], cis=["db01"])
    touching = spec(
        utc(2030, 1, 6, 3), utc(2030, 1, 6, 4), id=2, number="CHG0001002", services=[EMAIL], cis=["db01"]
    )
    unrelated = spec(
        utc(2030, 1, 6, 2), utc(2030, 1, 6, 4), id=3, number="CHG0001003", services=[ERP], cis=["db02"]
    )
    assert detect_conflicts(mine, change_type="normal", others=[touching, unrelated]) == []


def test_a_change_does_not_conflict_with_itself():
    mine = spec(utc(2030, 1, 6, 1), utc(2030, 1, 6, 3), services=[EMAIL])
    assert detect_conflicts(mine, change_type="normal", others=[mine]) == []


def test_overlap_detection_compares_instants_across_time_zones():
    # 03:00-04:00 in Stockholm (CET) is 02:00-03:00 UTC; 21:30-22:30 in New York (EST) the day
    # before is 02:30-03:30 UTC: they overlap although their local dates differ.
    mine = spec(
        datetime(2030, 1, 6, 3, tzinfo=STHLM), datetime(2030, 1, 6, 4, tzinfo=STHLM), services=[EMAIL]
    )
    other = spec(
        datetime(2030, 1, 5, 21, 30, tzinfo=NY),
        datetime(2030, 1, 5, 22, 30, tzinfo=NY),
        id=2,
        number="CHG0001002",
        services=[EMAIL],
    )
    found = detect_conflicts(mine, change_type="normal", others=[other])
    assert kinds(found) == [ConflictKind.OVERLAP_SERVICE]
    assert found[0].start == utc(2030, 1, 6, 2, 30)


def test_every_kind_of_conflict_is_reported_together():
    mine = spec(utc(2030, 3, 29, 10), utc(2030, 3, 29, 11), services=[EMAIL], cis=["db01"])
    other = spec(
        utc(2030, 3, 29, 10), utc(2030, 3, 29, 12), id=2, number="CHG0001002", services=[EMAIL], cis=["DB01"]
    )
    found = detect_conflicts(
        mine, change_type="normal", freezes=[QUARTER_END], maintenance=[SUNDAY_NIGHT], others=[other]
    )
    assert kinds(found) == ["freeze", "outside_maintenance", "overlap_service", "overlap_ci"]
    assert [c.blocking for c in found] == [True, False, False, False]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        detect_conflicts(spec(datetime(2030, 1, 1), datetime(2030, 1, 1, 1)), change_type="normal")  # noqa: DTZ001


def test_empty_or_reversed_window_is_refused():
    with pytest.raises(ValueError):
        detect_conflicts(spec(utc(2030, 1, 1, 2), utc(2030, 1, 1, 1)), change_type="normal")


def test_conflict_serialises_with_utc_instants():
    found = detect_conflicts(
        spec(datetime(2030, 3, 30, 12, tzinfo=STHLM), datetime(2030, 3, 30, 13, tzinfo=STHLM)),
        change_type="normal",
        freezes=[QUARTER_END],
    )
    data = found[0].to_dict()
    assert data["start"] == "2030-03-30T11:00:00+00:00"
    assert data["kind"] == "freeze" and data["freeze_id"] == 7
    assert timedelta(hours=1) == datetime.fromisoformat(data["end"]) - datetime.fromisoformat(data["start"])
