"""Pure policy matching and target lookup (no database)."""

from datetime import time

from slm.rules import (
    PolicyRule,
    TicketFacts,
    category_within,
    open_minutes_by_hour,
    select_policy,
    target_minutes,
)


def test_empty_conditions_match_everything():
    assert PolicyRule(id=1).matches(TicketFacts())


def test_each_condition_must_hold():
    facts = TicketFacts(desk_id=1, service_id=2, category_path="Hardware > Printer", priority=2, group_id=7)
    assert PolicyRule(
        id=1, desk_id=1, service_id=2, category_path="Hardware", priorities=frozenset({1, 2})
    ).matches(facts)
    assert not PolicyRule(id=1, desk_id=9).matches(facts)
    assert not PolicyRule(id=1, service_id=9).matches(facts)
    assert not PolicyRule(id=1, category_path="Software").matches(facts)
    assert not PolicyRule(id=1, priorities=frozenset({3})).matches(facts)
    assert not PolicyRule(id=1, ticket_type="request").matches(facts)
    assert not PolicyRule(id=1, group_id=8).matches(facts)


def test_category_condition_includes_subcategories_but_not_prefix_namesakes():
    assert category_within("Hardware > Printer", "Hardware")
    assert category_within("Hardware", "Hardware")
    assert not category_within("Hardware2", "Hardware")
    assert not category_within("", "Hardware")


def test_major_condition():
    major, normal = TicketFacts(is_major=True), TicketFacts(is_major=False)
    assert PolicyRule(id=1, major="yes").matches(major) and not PolicyRule(id=1, major="yes").matches(normal)
    assert PolicyRule(id=1, major="no").matches(normal) and not PolicyRule(id=1, major="no").matches(major)
    assert PolicyRule(id=1, major="any").matches(major) and PolicyRule(id=1, major="any").matches(normal)


def test_first_match_by_order_then_id_and_kind_is_separate():
    rules = [
        PolicyRule(id=3, order=20),
        PolicyRule(id=2, order=10, priorities=frozenset({1})),
        PolicyRule(id=1, order=20),
        PolicyRule(id=4, order=1, kind="ola"),
    ]
    assert select_policy(rules, TicketFacts(priority=1)).id == 2
    assert select_policy(rules, TicketFacts(priority=3)).id == 1
    assert select_policy(rules, TicketFacts(), kind="ola").id == 4
    assert select_policy([], TicketFacts()) is None


def test_priority_specific_target_beats_any():
    targets = [("resolution", None, 480), ("resolution", 1, 240), ("response", 2, 30)]
    assert target_minutes(targets, "resolution", 1) == 240
    assert target_minutes(targets, "resolution", 3) == 480
    assert target_minutes(targets, "response", 2) == 30
    assert target_minutes(targets, "response", 3) is None
    assert target_minutes(targets, "update", 1) is None


def test_open_minutes_by_hour_marks_partial_hours():
    grid = open_minutes_by_hour({0: [(time(5), time(18))], 1: [(time(8, 30), time(12)), (time(13), time(0))]})
    assert grid[(0, 4)] == 0 and grid[(0, 5)] == 60 and grid[(0, 17)] == 60 and grid[(0, 18)] == 0
    assert grid[(1, 8)] == 30 and grid[(1, 12)] == 0 and grid[(1, 23)] == 60
    assert all(v == 60 for v in open_minutes_by_hour({}, always_open=True).values())
