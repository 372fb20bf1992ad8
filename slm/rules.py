"""Pure rules of service level management: which policy applies, which target, which hours count.

No I/O: the engine (``slm.services``) turns models into these small value objects, so the
matching rules are tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time

from slm.choices import MajorCondition


@dataclass(frozen=True)
class TicketFacts:
    """What a policy can match on, at one moment of a ticket's life."""

    ticket_type: str = "incident"
    desk_id: int | None = None
    service_id: int | None = None
    category_path: str = ""
    priority: int = 5
    is_major: bool = False
    group_id: int | None = None


@dataclass(frozen=True)
class PolicyRule:
    """The conditions of one policy. Empty/None conditions match anything."""

    id: int
    kind: str = "sla"
    order: int = 100
    ticket_type: str = ""
    desk_id: int | None = None
    service_id: int | None = None
    category_path: str = ""
    priorities: frozenset[int] = field(default_factory=frozenset)
    major: str = MajorCondition.ANY
    group_id: int | None = None

    def matches(self, facts: TicketFacts) -> bool:
        if self.ticket_type and self.ticket_type != facts.ticket_type:
            return False
        if self.desk_id is not None and self.desk_id != facts.desk_id:
            return False
        if self.service_id is not None and self.service_id != facts.service_id:
            return False
        if self.category_path and not category_within(facts.category_path, self.category_path):
            return False
        if self.priorities and facts.priority not in self.priorities:
            return False
        if self.major == MajorCondition.YES and not facts.is_major:
            return False
        if self.major == MajorCondition.NO and facts.is_major:
            return False
        return not (self.group_id is not None and self.group_id != facts.group_id)


def category_within(path: str, ancestor: str) -> bool:
    """True when category ``path`` is ``ancestor`` or below it ("Hardware > Printer" in "Hardware")."""
    return bool(path) and (path == ancestor or path.startswith(f"{ancestor} > "))


def select_policy(rules: Iterable[PolicyRule], facts: TicketFacts, kind: str = "sla") -> PolicyRule | None:
    """The first rule of ``kind`` (by order, then id) whose conditions all hold."""
    for rule in sorted((r for r in rules if r.kind == kind), key=lambda r: (r.order, r.id)):
        if rule.matches(facts):
            return rule
    return None


def target_minutes(targets: Iterable[tuple[str, int | None, int]], metric: str, priority: int) -> int | None:
    """The target of ``metric`` for ``priority``: a priority-specific target beats an "any" one.

    ``targets`` are (metric, priority or None, minutes) triples.
    """
    fallback = None
    for t_metric, t_priority, minutes in targets:
        if t_metric != metric:
            continue
        if t_priority == priority:
            return minutes
        if t_priority is None:
            fallback = minutes
    return fallback


def open_minutes_by_hour(weekly: Mapping[int, Sequence[tuple[time, time]]], always_open: bool = False):
    """For each (weekday 0-6, hour 0-23): how many minutes of that local hour are business hours.

    Used by the demand report to mark service hours on the hour-of-week grid. DST and holidays
    are ignored here on purpose: the grid describes the regular week.
    """
    grid = {(d, h): 0 for d in range(7) for h in range(24)}
    if always_open:
        return {key: 60 for key in grid}
    for day, spans in weekly.items():
        for start, end in spans:
            lo = start.hour * 60 + start.minute
            hi = 24 * 60 if end == time(0) else end.hour * 60 + end.minute
            for hour in range(24):
                overlap = min(hi, (hour + 1) * 60) - max(lo, hour * 60)
                if overlap > 0:
                    grid[(day, hour)] += overlap
    return grid
