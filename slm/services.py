"""The SLA engine: timers driven by incident events, replayed from their segments, swept by Celery.

Timer life (see README "Service level management" and the docstrings below):

* ``response``: starts when the ticket is created; met by the first public comment of an agent
  (``first_response``). Resolving a ticket that never had a response also ends it (the caller is
  told of the resolution). Never paused.
* ``resolution``: starts when the ticket is created; paused while the ticket is on hold for one
  of the policy's pausing hold reasons (default: awaiting caller); stops when the ticket is
  resolved; reopening resumes it (the resolved span is recorded as a pause, elapsed time is kept).
* ``update``: the caller must get a public update at least every N business minutes while the
  ticket is open. Cycle 1 starts at creation; each public comment by an agent ends the current
  cycle (met, or breached if late) and starts the next cycle at that instant. Pauses like
  resolution. Resolving ends the cycle (the resolution is the update); reopening starts a new one.
* OLA timers (policies of kind ``ola``, matched on the assignment group) measure the group's part:
  ``response`` until an agent of the group takes the ticket (assignee set) or answers the caller,
  ``resolution`` until resolved or handed over to another group (the timer then stops, met or
  breached, and the new group's OLA starts).
* Cancelling the ticket cancels every running timer.

Every event re-evaluates the policy (priority, category, service, desk, major state, group may have
changed). Retargeting keeps the timer's start and its segments: elapsed time is replayed on the
new policy's calendar and compared with the new target.

Figures are never accumulated incrementally: they are replayed from the segments with the pure
maths of :mod:`slm.businesstime`, so an edited calendar or policy gives exact new figures
(:func:`recompute_timers`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core import sweeps
from core.choices import TimelineKind
from incidents.choices import HoldReason, State
from slm import businesstime as bt
from slm.choices import CHECKED_STATES, AgreementKind, Metric, SegmentKind, TimerState
from slm.models import BusinessCalendar, Holiday, SlaPolicy, SlaTimer, TimerSegment
from slm.rules import PolicyRule, TicketFacts, select_policy, target_minutes
from slm.timeline import (
    CANCELLED_INCIDENT_CANCELLED,
    CANCELLED_INCIDENT_CLOSED,
    CANCELLED_NO_POLICY,
    CANCELLED_NO_TARGET,
    CANCELLED_POLICY_CHANGED,
)

log = logging.getLogger(__name__)

OLA_METRICS = (Metric.RESPONSE, Metric.RESOLUTION)
OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.ON_HOLD)

# --------------------------------------------------------------------------------------------
# Calendars and figures
# --------------------------------------------------------------------------------------------

_CALENDARS: dict[tuple, bt.Calendar] = {}


def calendar_of(calendar: BusinessCalendar) -> bt.Calendar:
    """The pure calendar for a calendar row, cached per (id, version, changed_at) in this process."""
    key = calendar.cache_key
    cached = _CALENDARS.get(key)
    if cached is None:
        if len(_CALENDARS) > 256:
            _CALENDARS.clear()
        cached = _CALENDARS[key] = calendar.to_calendar()
    return cached


def _segments(timer: SlaTimer) -> list[TimerSegment]:
    segs = getattr(timer, "_segs", None)
    if segs is None:
        segs = sorted(timer.segments.all(), key=lambda s: (s.start, s.pk or 0))
        timer._segs = segs
    return segs


def pauses_of(timer: SlaTimer) -> list[tuple[datetime, datetime | None]]:
    return [(s.start, s.end) for s in _segments(timer) if s.kind == SegmentKind.PAUSED]


def figures(timer: SlaTimer, now: datetime | None = None) -> bt.TimerFigures:
    """The timer's figures at ``now`` (at its stop for a stopped timer), replayed from segments."""
    now = now or timezone.now()
    return bt.timer_figures(
        calendar_of(timer.calendar),
        timer.started_at,
        timedelta(seconds=timer.target_seconds),
        pauses_of(timer),
        max(now, timer.started_at),
        stopped_at=timer.stopped_at,
        warn_percent=timer.warn_percent,
    )


@dataclass(frozen=True)
class TimerView:
    """What the incident page, the queue and the API show of one timer."""

    timer: SlaTimer
    figures: bt.TimerFigures
    now: datetime

    @property
    def remaining_seconds(self) -> int:
        return math.floor(self.figures.remaining.total_seconds())

    @property
    def overdue(self) -> bool:
        return self.figures.remaining < timedelta(0)

    @property
    def colour(self) -> str:
        """ok / warn / bad / paused / done / muted, for the badge."""
        t = self.timer
        if t.state == TimerState.CANCELLED:
            return "muted"
        if t.state == TimerState.BREACHED or self.figures.breached:
            return "bad"
        if t.state == TimerState.MET:
            return "ok"
        if t.is_paused:
            return "paused"
        if self.figures.percent >= t.warn_percent:
            return "warn"
        return "ok"

    @property
    def pauses(self) -> list[tuple[datetime, datetime | None, str]]:
        """(start, end or None, reason label) of every pause."""
        labels = dict(HoldReason.choices)
        return [
            (s.start, s.end, s.reason if s.reason == "resolved" else str(labels.get(s.reason, s.reason)))
            for s in _segments(self.timer)
            if s.kind == SegmentKind.PAUSED
        ]


def view(timer: SlaTimer, now: datetime | None = None) -> TimerView:
    now = now or timezone.now()
    return TimerView(timer=timer, figures=figures(timer, now), now=now)


# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPolicy:
    policy: SlaPolicy
    rule: PolicyRule
    targets: tuple[tuple[str, int | None, int], ...]

    def target_seconds(self, metric: str, priority: int) -> int | None:
        minutes = target_minutes(self.targets, metric, priority)
        return None if minutes is None else minutes * 60


def rule_of(policy: SlaPolicy) -> PolicyRule:
    return PolicyRule(
        id=policy.pk,
        kind=policy.kind,
        order=policy.order,
        ticket_type=policy.ticket_type,
        desk_id=policy.desk_id,
        service_id=policy.service_id,
        category_path=policy.category.path if policy.category_id else "",
        priorities=frozenset(int(p) for p in policy.priorities or []),
        major=policy.applies_to_major,
        group_id=policy.support_group_id,
    )


def load_policies() -> dict[int, LoadedPolicy]:
    """Active policies with their targets and calendars (three queries)."""
    loaded = {}
    qs = SlaPolicy.objects.active().select_related("category", "calendar").prefetch_related("targets")
    for policy in qs:
        targets = tuple((t.metric, t.priority, t.target_minutes) for t in policy.targets.all())
        loaded[policy.pk] = LoadedPolicy(policy, rule_of(policy), targets)
    return loaded


def facts_of(incident) -> TicketFacts:
    return TicketFacts(
        ticket_type="incident",
        desk_id=incident.desk_id,
        service_id=incident.service_id,
        category_path=incident.category.path if incident.category_id else "",
        priority=incident.priority,
        is_major=incident.major_state == "accepted",
        group_id=incident.assignment_group_id,
    )


def policy_for(incident, kind: str = AgreementKind.SLA) -> SlaPolicy | None:
    """The policy that applies to the incident now (for pages that explain it)."""
    policies = load_policies()
    rule = select_policy([p.rule for p in policies.values()], facts_of(incident), kind)
    return policies[rule.id].policy if rule else None


# --------------------------------------------------------------------------------------------
# Segment operations (in memory + database)
# --------------------------------------------------------------------------------------------


def _open_segment(timer: SlaTimer) -> TimerSegment | None:
    segs = _segments(timer)
    return segs[-1] if segs and segs[-1].end is None else None


def _switch(timer: SlaTimer, kind: str, at: datetime, reason: str = "") -> None:
    """Close the open segment at ``at`` and open one of ``kind`` (a no-op if already of that kind)."""
    current = _open_segment(timer)
    if current is not None:
        if current.kind == kind:
            return
        if current.start >= at:
            # Zero-length: re-label instead of leaving an empty segment behind.
            current.kind, current.reason = kind, reason
            if current.pk:
                current.save(update_fields=["kind", "reason"])
            return
        current.end = at
        if current.pk:
            current.save(update_fields=["end"])
    seg = TimerSegment(timer=timer, kind=kind, start=at, reason=reason[:100])
    if timer.pk:
        seg.save()
    _segments(timer).append(seg)


def _close(timer: SlaTimer, at: datetime) -> None:
    current = _open_segment(timer)
    if current is not None:
        current.end = max(at, current.start)
        if current.pk:
            current.save(update_fields=["end"])


# --------------------------------------------------------------------------------------------
# The per-event engine
# --------------------------------------------------------------------------------------------


@dataclass
class Moment:
    """The ticket as the engine sees it at one instant (live, or replayed from history)."""

    at: datetime
    facts: TicketFacts
    state: str
    hold_reason: str
    responded: bool
    assigned: bool
    created_at: datetime


def moment_of(incident, at: datetime) -> Moment:
    return Moment(
        at=at,
        facts=facts_of(incident),
        state=incident.state,
        hold_reason=incident.hold_reason,
        responded=incident.first_response_at is not None,
        assigned=incident.assigned_to_id is not None,
        created_at=incident.created_at,
    )


class _Changes:
    """Collects what one engine run did: touched timers and timeline entries to write."""

    def __init__(self, incident) -> None:
        self.incident = incident
        # Keyed by object identity: new timers have no primary key until they are inserted.
        self.touched: dict[int, SlaTimer] = {}
        self.entries: list[dict] = []

    def touch(self, timer: SlaTimer) -> None:
        self.touched[id(timer)] = timer

    def note(self, event: str, timer: SlaTimer, at: datetime, body: str, **extra) -> None:
        self.entries.append(
            {
                "at": at,
                "body": body,
                "timer": timer,  # its pk is filled in when the entry is written
                "data": {
                    "event": event,
                    "kind": timer.kind,
                    "metric": timer.metric,
                    "cycle": timer.cycle,
                    "policy": timer.policy.name,
                    "target_seconds": timer.target_seconds,
                    # slm.timeline says "business hours" or "hours" from this.
                    "business": not timer.calendar.is_24x7,
                    **extra,
                },
            }
        )


def metric_label(metric: str) -> str:
    return str(Metric(metric).label)


def format_duration(seconds: float) -> str:
    """Business durations for people: "45 min", "3 h 05 min", "39 h".

    Never in days: a "day" of business time depends on the calendar (13 h on 05:00-18:00), so
    hours are the unit everyone reads the same way.
    """
    seconds = int(abs(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}


def _start_timer(
    incident,
    loaded: LoadedPolicy,
    metric: str,
    *,
    at: datetime,
    cycle: int,
    priority: int,
    changes: _Changes,
) -> SlaTimer | None:
    seconds = loaded.target_seconds(metric, priority)
    if not seconds:
        return None
    policy = loaded.policy
    # Not inserted yet: apply_event inserts new timers and their segments in bulk at the end.
    timer = SlaTimer(
        incident=incident,
        kind=policy.kind,
        metric=metric,
        cycle=cycle,
        policy=policy,
        calendar=policy.calendar,
        support_group_id=policy.support_group_id if policy.kind == AgreementKind.OLA else None,
        priority=priority,
        target_seconds=seconds,
        warn_percent=policy.warn_percent,
        state=TimerState.RUNNING,
        started_at=at,
        created_at=at,
        updated_at=at,
    )
    timer._segs = []
    _switch(timer, SegmentKind.RUNNING, at)
    changes.touch(timer)
    if metric != Metric.UPDATE or cycle == 1:
        changes.note(
            "started",
            timer,
            at,
            _("%(metric)s target %(target)s (%(policy)s, %(calendar)s)")
            % {
                "metric": metric_label(metric),
                "target": format_duration(seconds),
                "policy": policy.name,
                "calendar": policy.calendar.name,
            },
            calendar=policy.calendar.name,
        )
    return timer


def _stop(timer: SlaTimer, at: datetime, changes: _Changes, *, quiet: bool = False) -> None:
    """Stop the timer at ``at``: met, or breached if the target was reached before ``at``."""
    if not timer.is_active:
        return
    at = max(at, timer.started_at)
    _close(timer, at)
    timer.stopped_at = at
    timer.is_paused = False
    figs = figures(timer, at)
    if figs.breached or timer.breached_at is not None:
        timer.state = TimerState.BREACHED
        if timer.breached_at is None:
            timer.breached_at = figs.due_at or at
    else:
        timer.state = TimerState.MET
    changes.touch(timer)
    if not quiet:
        met = timer.state == TimerState.MET
        changes.note(
            "met" if met else "missed",
            timer,
            at,
            (
                _("%(metric)s target met after %(elapsed)s of %(target)s.")
                if met
                else _("%(metric)s target missed: %(elapsed)s of %(target)s.")
            )
            % {
                "metric": metric_label(timer.metric),
                "elapsed": format_duration(figs.elapsed.total_seconds()),
                "target": format_duration(timer.target_seconds),
            },
            elapsed_seconds=int(figs.elapsed.total_seconds()),
        )


def _cancel(timer: SlaTimer, at: datetime, changes: _Changes, reason: str, code: str) -> None:
    """Cancel a counting timer; ``code`` is one of ``slm.timeline.CANCELLED_*`` (the reason)."""
    if not timer.is_active:
        return
    _close(timer, max(at, timer.started_at))
    timer.stopped_at = max(at, timer.started_at)
    timer.state = TimerState.CANCELLED
    timer.is_paused = False
    changes.touch(timer)
    changes.note(
        "cancelled",
        timer,
        at,
        _("%(metric)s timer cancelled: %(reason)s")
        % {"metric": metric_label(timer.metric), "reason": reason},
        reason=code,
    )


def _resume_stopped(timer: SlaTimer, at: datetime, changes: _Changes) -> None:
    """Reopen: the span since the stop becomes a pause and the timer counts again."""
    stopped = timer.stopped_at
    if stopped is None or timer.state == TimerState.CANCELLED:
        return
    new = []
    if at > stopped:
        new.append(
            TimerSegment(timer=timer, kind=SegmentKind.PAUSED, start=stopped, end=at, reason="resolved")
        )
    new.append(TimerSegment(timer=timer, kind=SegmentKind.RUNNING, start=max(at, stopped)))
    for seg in new:
        if timer.pk:  # an in-memory replay (slm.replay) inserts its timers' segments in bulk
            seg.save()
        _segments(timer).append(seg)
    timer.stopped_at = None
    timer.state = TimerState.BREACHED if timer.breached_at else TimerState.RUNNING
    changes.touch(timer)
    changes.note(
        "resumed",
        timer,
        at,
        _("%(metric)s timer resumed (reopened).") % {"metric": metric_label(timer.metric)},
    )


def _retarget(
    timer: SlaTimer, loaded: LoadedPolicy, seconds: int, priority: int, at: datetime, changes: _Changes
):
    policy = loaded.policy
    if (
        timer.policy_id == policy.pk
        and timer.target_seconds == seconds
        and timer.calendar_id == policy.calendar_id
        and timer.warn_percent == policy.warn_percent
        and timer.priority == priority
    ):
        return
    old_target, old_policy = timer.target_seconds, timer.policy.name
    old_business = not timer.calendar.is_24x7
    timer.policy, timer.calendar = policy, policy.calendar
    timer.target_seconds, timer.warn_percent, timer.priority = seconds, policy.warn_percent, priority
    changes.touch(timer)
    if old_target != seconds or old_policy != policy.name:
        changes.note(
            "retargeted",
            timer,
            at,
            _(
                "%(metric)s target changed from %(old)s (%(old_policy)s) to %(new)s (%(policy)s); "
                "elapsed time is kept."
            )
            % {
                "metric": metric_label(timer.metric),
                "old": format_duration(old_target),
                "old_policy": old_policy,
                "new": format_duration(seconds),
                "policy": policy.name,
            },
            old_target_seconds=old_target,
            old_policy=old_policy,
            old_business=old_business,
        )


def refresh(timer: SlaTimer, at: datetime, figs: bt.TimerFigures | None = None) -> None:
    """Recompute the stored figures of a timer from its segments (no notification here).

    Thresholds that the replayed figures say are no longer reached (a longer target after a
    priority change, a holiday added to the calendar) are cleared so that they can be reached,
    and notified, again.
    """
    figs = figs or figures(timer, at)
    timer.elapsed_seconds = max(0, math.floor(figs.elapsed.total_seconds()))
    timer.elapsed_at = timer.stopped_at or at
    timer.due_at, timer.warning_at = figs.due_at, figs.warning_at
    if not timer.is_active:
        timer.next_check_at = None
        return
    breach_reached = figs.due_at is not None and figs.due_at <= at
    warn_reached = figs.warning_at is not None and figs.warning_at <= at
    if timer.breached_at is not None and not breach_reached:
        timer.breached_at = None
    if timer.warned_at is not None and not warn_reached:
        timer.warned_at = None
    if timer.breached_at is not None:
        timer.state = TimerState.BREACHED
        timer.next_check_at = None
        return
    timer.state = TimerState.PAUSED if timer.is_paused else TimerState.RUNNING
    if timer.is_paused:
        timer.next_check_at = None
        return
    candidates = [figs.due_at]
    if timer.warned_at is None:
        candidates.append(figs.warning_at)
    candidates = [c for c in candidates if c is not None]
    timer.next_check_at = min(candidates) if candidates else None


_SAVE_FIELDS = [
    "policy",
    "calendar",
    "priority",
    "target_seconds",
    "warn_percent",
    "state",
    "is_paused",
    "stopped_at",
    "due_at",
    "warning_at",
    "next_check_at",
    "elapsed_seconds",
    "elapsed_at",
    "warned_at",
    "breached_at",
    "version",
    "updated_at",
]


def _save(timer: SlaTimer, now: datetime) -> None:
    timer.version += 1
    timer.updated_at = now
    timer.save(update_fields=_SAVE_FIELDS)


def _write_entries(incident_id: int, entries: Sequence[dict]) -> None:
    from incidents.models import IncidentTimelineEntry

    IncidentTimelineEntry.objects.bulk_create(
        [
            IncidentTimelineEntry(
                ticket_id=incident_id,
                kind=TimelineKind.SLA,
                body=e["body"],
                data={"timer": e["timer"].pk, **e["data"]},
                created_at=e["at"],
            )
            for e in entries
        ]
    )


def _pausing(loaded: LoadedPolicy | None, timer: SlaTimer, moment: Moment) -> bool:
    if timer.metric == Metric.RESPONSE:
        return False
    if moment.state != State.ON_HOLD:
        return False
    reasons = (loaded.policy if loaded else timer.policy).pause_hold_reasons or []
    return moment.hold_reason in reasons


def _load_timers(incident) -> list[SlaTimer]:
    # Locked: a sweep or recompute holding one of them finishes first, and we read its result
    # (they never wait for us: see _claim). Calendar hours and holidays are not prefetched:
    # calendar_of() caches them per version.
    return list(
        SlaTimer.objects.filter(incident=incident)
        .exclude(state=TimerState.CANCELLED)
        .select_for_update(of=("self",))
        .select_related("policy", "calendar")
        .prefetch_related("segments")
        .order_by("cycle", "id")
    )


@dataclass
class Replay:
    """An incident's timers replayed in memory (``slm.replay``): ``timers`` holds all of them,
    cancelled ones included, and ``entries`` the timeline entries the engine would write."""

    timers: list[SlaTimer] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)


def apply_event(
    incident,
    event: str,
    moment: Moment,
    *,
    data: dict | None = None,
    by=None,
    policies: dict[int, LoadedPolicy] | None = None,
    write_timeline: bool = True,
    replay: Replay | None = None,
) -> list[SlaTimer]:
    """Bring the incident's timers in line with ``event`` at ``moment``.

    Runs inside the caller's transaction (the incident operation holds the incident row lock).
    With ``replay`` nothing is read or written: the timers come from and go to ``replay``.
    """
    data = data or {}
    at = moment.at
    policies = load_policies() if policies is None else policies
    rules = [p.rule for p in policies.values()]
    changes = _Changes(incident)
    # Every non-cancelled timer, oldest cycle first (a new incident has none: no query).
    if replay is not None:
        timers = [t for t in replay.timers if t.state != TimerState.CANCELLED]
    else:
        timers = [] if event == "created" else _load_timers(incident)

    def start(loaded: LoadedPolicy, metric: str, when: datetime) -> None:
        cycle = 1 + max(
            (t.cycle for t in timers if t.kind == loaded.policy.kind and t.metric == metric), default=0
        )
        if replay is not None:
            same = [t.cycle for t in replay.timers if t.kind == loaded.policy.kind and t.metric == metric]
            cycle = max(cycle, max(same, default=0) + 1)
        elif event != "created":
            # Cancelled timers are not in ``timers`` but still hold their cycle number.
            taken = SlaTimer.objects.filter(incident=incident, kind=loaded.policy.kind, metric=metric)
            cycle = max(cycle, (taken.aggregate(m=Max("cycle"))["m"] or 0) + 1)
        timer = _start_timer(
            incident, loaded, metric, at=when, cycle=cycle, priority=moment.facts.priority, changes=changes
        )
        if timer is not None:
            timers.append(timer)
            if replay is not None:
                replay.timers.append(timer)

    new_state = data.get("new")
    # 1. Lifecycle: what the event itself ends or restarts.
    if event == "state_changed" and new_state == State.RESOLVED:
        for timer in timers:
            _stop(timer, at, changes)
    elif event == "state_changed" and new_state in (State.CANCELLED, State.CLOSED):
        label = State(new_state).label
        for timer in timers:
            code = CANCELLED_INCIDENT_CLOSED if new_state == State.CLOSED else CANCELLED_INCIDENT_CANCELLED
            _cancel(timer, at, changes, _("the incident is %(state)s") % {"state": str(label).lower()}, code)
    elif event == "state_changed" and data.get("reopened"):
        for kind in AgreementKind.values:
            last = [t for t in timers if t.kind == kind and t.metric == Metric.RESOLUTION]
            if last and not any(t.is_active for t in last):
                _resume_stopped(last[-1], at, changes)
    if event == "first_response":
        for timer in timers:
            if timer.metric == Metric.RESPONSE:
                _stop(timer, at, changes)
    if (
        event == "public_comment"
        and data.get("agent")
        and (by is None or by.pk != incident.caller_id)
        and moment.state in OPEN_STATES
    ):
        for timer in [t for t in timers if t.metric == Metric.UPDATE and t.is_active]:
            _stop(timer, at, changes, quiet=True)
            loaded = policies.get(timer.policy_id)
            if loaded is not None:
                start(loaded, Metric.UPDATE, at)
    if moment.assigned:
        for timer in timers:
            if timer.kind == AgreementKind.OLA and timer.metric == Metric.RESPONSE:
                _stop(timer, at, changes)

    # 2. Re-evaluate the policies and targets on every event: priority, category, service,
    # desk, group or the major-incident state may have changed.
    is_open = moment.state in OPEN_STATES
    for kind in AgreementKind.values:
        rule = select_policy(rules, moment.facts, kind)
        loaded = policies.get(rule.id) if rule else None
        for timer in [t for t in timers if t.kind == kind and t.is_active]:
            if kind == AgreementKind.OLA and timer.support_group_id != moment.facts.group_id:
                _stop(timer, at, changes)  # handed over to another group: the group's part ends
            elif loaded is None:
                _cancel(timer, at, changes, _("no service level applies any more"), CANCELLED_NO_POLICY)
            else:
                seconds = loaded.target_seconds(timer.metric, moment.facts.priority)
                if seconds:
                    _retarget(timer, loaded, seconds, moment.facts.priority, at, changes)
                else:
                    _cancel(timer, at, changes, _("the policy has no such target"), CANCELLED_NO_TARGET)
        if loaded is None or not is_open:
            continue
        when = moment.created_at if event == "created" else at
        if kind == AgreementKind.SLA:
            for metric in Metric.values:
                mine = [t for t in timers if t.kind == kind and t.metric == metric]
                if any(t.is_active for t in mine):
                    continue
                if metric == Metric.UPDATE:
                    start(loaded, metric, when)  # a new cycle whenever none is counting
                elif not mine and not (metric == Metric.RESPONSE and moment.responded):
                    start(loaded, metric, when)  # never measured yet
        else:
            group_id = loaded.policy.support_group_id
            mine = [t for t in timers if t.kind == kind and t.support_group_id == group_id]
            resolution = next((t for t in mine if t.metric == Metric.RESOLUTION and t.is_active), None)
            if resolution is None:
                start(loaded, Metric.RESOLUTION, when)  # the group's stint begins
                resolution = next((t for t in timers if t.kind == kind and t.is_active
                                   and t.metric == Metric.RESOLUTION), None)  # fmt: skip
            stint = resolution.started_at if resolution else when
            responded = [t for t in mine if t.metric == Metric.RESPONSE and t.started_at >= stint]
            if not responded and not moment.assigned and not moment.responded:
                start(loaded, Metric.RESPONSE, when)

    # 3. Pausing follows the ticket's state, for every counting timer.
    for timer in timers:
        if not timer.is_active:
            continue
        should_pause = _pausing(policies.get(timer.policy_id), timer, moment)
        if should_pause != timer.is_paused:
            if should_pause:
                _switch(timer, SegmentKind.PAUSED, at, reason=moment.hold_reason)
                body = _("%(metric)s timer paused (%(reason)s).") % {
                    "metric": metric_label(timer.metric),
                    "reason": HoldReason(moment.hold_reason).label,
                }
                changes.note("paused", timer, at, body, reason=moment.hold_reason)
            else:
                _switch(timer, SegmentKind.RUNNING, at)
                body = _("%(metric)s timer resumed.") % {"metric": metric_label(timer.metric)}
                changes.note("unpaused", timer, at, body)
            timer.is_paused = should_pause
            changes.touch(timer)

    # 4. Replay the figures of what changed and save: updates first (a stopped timer frees its
    # metric for the new cycle under the one-active-timer constraint), then the new timers and
    # their segments in two bulk inserts.
    if replay is not None:
        for timer in changes.touched.values():
            refresh(timer, at)
        replay.entries.extend(changes.entries)
        return list(changes.touched.values())
    new = []
    for timer in changes.touched.values():
        refresh(timer, at)
        if timer.pk is None:
            new.append(timer)
        else:
            _save(timer, at)
    if new:
        SlaTimer.objects.bulk_create(new)
        segments = []
        for timer in new:
            for seg in _segments(timer):
                seg.timer = timer
                segments.append(seg)
        TimerSegment.objects.bulk_create(segments)
    if write_timeline and changes.entries:
        _write_entries(incident.pk, changes.entries)
    return list(changes.touched.values())


def _event_instant(incident, event: str, data: dict) -> datetime:
    if event == "created":
        return incident.created_at
    if event == "state_changed" and data.get("new") == State.RESOLVED and incident.resolved_at:
        return incident.resolved_at
    if event == "first_response" and incident.first_response_at:
        return incident.first_response_at
    return timezone.now()


def on_incident_event(sender, *, incident, event: str, by=None, data=None, **kwargs) -> None:
    """Receiver of ``incidents.signals.incident_event`` (connected in ``SlmConfig.ready``)."""
    data = data or {}
    if event == "reopened":
        return  # handled with its state_changed event (data["reopened"])
    at = _event_instant(incident, event, data)
    touched = apply_event(incident, event, moment_of(incident, at), data=data, by=by)
    _schedule_precise_checks(touched)


def _schedule_precise_checks(timers: Iterable[SlaTimer]) -> None:
    """Promptness only: an ETA task for a check that falls due before the next sweep."""
    if not getattr(settings, "SLA_ETA_TASKS", True):
        return
    horizon = timezone.now() + timedelta(seconds=getattr(settings, "SLA_SWEEP_SECONDS", 60))
    due = [
        (t.pk, t.next_check_at)
        for t in timers
        if t.state in CHECKED_STATES and t.next_check_at is not None and t.next_check_at <= horizon
    ]
    if due:
        transaction.on_commit(lambda: _enqueue_checks(due))


def _enqueue_checks(due: Iterable[tuple[int, datetime]]) -> None:
    from slm.tasks import check_timer

    try:
        for pk, at in due:
            check_timer.apply_async((pk,), eta=at)
    except Exception:  # broker down: the sweep does it anyway
        log.warning("could not schedule SLA checks; the sweep will run them")


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------


def sweep_timers(
    *, now: datetime | None = None, batch_size: int = 1000, ids: Sequence[int] | None = None
) -> dict:
    """Record every warning and breach that is due, exactly once; returns counts.

    Claims rows through the partial index on ``next_check_at`` with ``SELECT … FOR UPDATE SKIP
    LOCKED`` so that several workers share the work, and commits each batch (timer, timeline
    entries and outbox rows together). A crash before the commit leaves everything to the next
    sweep; a duplicate sweep finds nothing due (``next_check_at`` moved) and, should it race,
    the per-recipient dedupe keys of the outbox rows still keep each notification single.

    A timer that cannot be checked (a calendar broken in the database, a row that cannot be
    written) is logged, recorded as a :class:`core.models.SweepFailure` and its next check is
    moved past a back-off; the rest of the batch is checked and committed all the same.
    """
    totals = {"checked": 0, "warnings": 0, "breaches": 0, "notifications": 0, "failed": 0}
    while True:
        now_ = now or timezone.now()
        with transaction.atomic():
            qs = SlaTimer.objects.filter(state__in=CHECKED_STATES, next_check_at__lte=now_)
            if ids is not None:
                qs = qs.filter(pk__in=ids)
            claimed = _claim(qs.order_by("next_check_at"), batch_size)
            if not claimed:
                break
            timers = _load_for_sweep(claimed)
            checked, events, failed = [], [], []
            for timer in timers:
                try:
                    event = _check(timer, now_)
                except Exception as exc:  # a broken calendar or timer: set it aside, go on
                    failed.append((timer, exc))
                    continue
                checked.append(timer)
                if event:
                    events.append(event)
            try:
                with transaction.atomic():
                    totals["notifications"] += _write_checked(checked, events)
            except Exception:
                # The batch write failed: find the row that cannot be written, one savepoint each.
                log.exception("SLA sweep: batch write failed, writing timer by timer")
                checked, events, notified = _write_one_by_one(checked, events, failed)
                totals["notifications"] += notified
            for timer, exc in failed:
                _set_aside(timer, exc)
            if failed:
                log.error("SLA sweep: %d timer(s) set aside after errors", len(failed))
            sweeps.clear_failures(SWEEP_NAME, [t.pk for t in checked])
            totals["checked"] += len(checked)
            totals["failed"] += len(failed)
            totals["warnings"] += sum(1 for k, *_ in events if k == "warning")
            totals["breaches"] += sum(1 for k, *_ in events if k == "breach")
        if len(claimed) < batch_size:
            break
    return totals


SWEEP_NAME = "slm.sweep_timers"


def _check(timer: SlaTimer, now: datetime) -> tuple | None:
    """Advance one claimed timer in memory: returns its warning or breach event, if any."""
    figs = figures(timer, now)
    kind = None
    if timer.breached_at is None and figs.due_at is not None and figs.due_at <= now:
        timer.breached_at = figs.due_at
        timer.state = TimerState.BREACHED
        if timer.warned_at is None:
            timer.warned_at = figs.warning_at  # superseded by the breach
        kind = "breach"
    elif timer.warned_at is None and figs.warning_at is not None and figs.warning_at <= now:
        timer.warned_at = figs.warning_at
        kind = "warning"
    refresh(timer, now, figs)
    timer.version += 1
    timer.updated_at = now
    return (kind, timer, figs) if kind else None


def _write_checked(timers: Sequence[SlaTimer], events: Sequence[tuple]) -> int:
    """Save the checked timers, their timeline entries and outbox rows; returns the rows written."""
    from slm import notify

    _bulk_save_checked(timers)
    if not events:
        return 0
    _sweep_timeline(events)
    return notify.sla_events(events)


def _write_one_by_one(timers, events, failed: list) -> tuple[list, list, int]:
    by_timer = {event[1].pk: event for event in events}
    written, written_events, notified = [], [], 0
    for timer in timers:
        event = by_timer.get(timer.pk)
        try:
            with transaction.atomic():
                notified += _write_checked([timer], [event] if event else [])
        except Exception as exc:
            failed.append((timer, exc))
            continue
        written.append(timer)
        if event:
            written_events.append(event)
    return written, written_events, notified


def _set_aside(timer: SlaTimer, exc: BaseException) -> None:
    """Log and record a timer the sweep cannot check, and move its next check past the back-off
    so that it does not head every batch; an edit of its calendar or policy replays it at once."""
    retry_at = sweeps.record_failure(SWEEP_NAME, "slm.SlaTimer", timer.pk, exc)
    SlaTimer.objects.filter(pk=timer.pk).update(next_check_at=retry_at)


@dataclass(frozen=True)
class _Seg:
    """A segment as the sweep reads it: a tuple, not a model instance (thousands per batch)."""

    pk: int
    kind: str
    start: datetime
    end: datetime | None
    reason: str


def _claim(qs: QuerySet, limit: int | None = None) -> list[int]:
    """Lock timers *and their incidents*, skipping any row somebody else holds.

    Lock order: an incident operation locks the incident, then (in ``apply_event``) its timers.
    Background work that rewrites timers also writes timeline rows, whose foreign key needs a
    share lock on the incident; taking both locks up front with SKIP LOCKED means it never waits
    for an incident operation (that incident's timers are simply left for the next run), so the
    two can never deadlock.
    """
    qs = qs.select_related("incident").select_for_update(skip_locked=True, of=("self", "incident"))
    qs = qs.only("id", "incident__id")
    return [t.pk for t in (qs[:limit] if limit else qs)]


def _load_for_sweep(ids: Sequence[int]) -> list[SlaTimer]:
    """Claimed timers with their segments, policies and calendars, in five queries and without a
    model instance per segment or per related row (shared policy and calendar objects)."""
    timers = list(SlaTimer.objects.filter(pk__in=ids))
    segments: dict[int, list[_Seg]] = {}
    rows = TimerSegment.objects.filter(timer_id__in=ids).values_list(
        "timer_id", "pk", "kind", "start", "end", "reason"
    )
    for timer_id, pk, kind, start, end, reason in rows.order_by("start", "pk"):
        segments.setdefault(timer_id, []).append(_Seg(pk, kind, start, end, reason))
    policies = SlaPolicy.objects.in_bulk({t.policy_id for t in timers})
    calendars = BusinessCalendar.objects.prefetch_related("hours", "holidays").in_bulk(
        {t.calendar_id for t in timers}
    )
    for timer in timers:
        timer._segs = segments.get(timer.pk, [])
        # Shared instances through the field cache: no per-row copies.
        SlaTimer.policy.field.set_cached_value(timer, policies[timer.policy_id])
        SlaTimer.calendar.field.set_cached_value(timer, calendars[timer.calendar_id])
    return timers


# What a sweep changes on a timer (policy, calendar and target never change there).
_SWEEP_FIELDS = (
    ("state", "varchar"),
    ("due_at", "timestamptz"),
    ("warning_at", "timestamptz"),
    ("next_check_at", "timestamptz"),
    ("elapsed_seconds", "integer"),
    ("elapsed_at", "timestamptz"),
    ("warned_at", "timestamptz"),
    ("breached_at", "timestamptz"),
    ("version", "integer"),
    ("updated_at", "timestamptz"),
)


def _bulk_save_checked(timers: Sequence[SlaTimer]) -> None:
    """Save the sweep's fields of many timers in one statement.

    Django's ``bulk_update`` builds a CASE expression per field and row, which costs seconds per
    thousand rows; PostgreSQL gets one ``UPDATE … FROM (VALUES …)`` instead.
    """
    if not timers:
        return
    from django.db import connection

    table = SlaTimer._meta.db_table
    names = [name for name, _type in _SWEEP_FIELDS]
    rows = [(t.pk, *[getattr(t, name) for name in names]) for t in timers]
    if connection.vendor == "postgresql":
        from psycopg2.extras import execute_values

        assignments = ", ".join(f'"{name}" = v."{name}"::{kind}' for name, kind in _SWEEP_FIELDS)
        columns = ", ".join(["id", *[f'"{name}"' for name in names]])
        with connection.cursor() as cursor:
            execute_values(
                cursor.cursor,
                f'UPDATE "{table}" AS t SET {assignments} FROM (VALUES %s) AS v({columns}) WHERE t.id = v.id',
                rows,
                page_size=1000,
            )
    else:
        assignments = ", ".join(f'"{name}" = %s' for name in names)
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE "{table}" SET {assignments} WHERE id = %s', [(*row[1:], row[0]) for row in rows]
            )


def _sweep_timeline(events) -> None:
    from incidents.models import IncidentTimelineEntry
    from slm.bulk import insert_rows

    rows = []
    texts: dict[tuple, str] = {}  # a batch has few distinct texts: translate each once
    for kind, timer, _figs in events:
        at = timer.breached_at if kind == "breach" else timer.warned_at
        key = (kind, timer.metric, timer.target_seconds, timer.policy_id, timer.warn_percent)
        if key not in texts:
            texts[key] = (
                _("%(metric)s target breached (%(target)s, %(policy)s).")
                if kind == "breach"
                else _("%(metric)s target at %(percent)s %% (%(target)s, %(policy)s).")
            ) % {
                "metric": metric_label(timer.metric),
                "target": format_duration(timer.target_seconds),
                "policy": timer.policy.name,
                "percent": timer.warn_percent,
            }
        data = {
            "event": kind,
            "timer": timer.pk,
            "kind": timer.kind,
            "metric": timer.metric,
            "cycle": timer.cycle,
            "policy": timer.policy.name,
            "target_seconds": timer.target_seconds,
            "warn_percent": timer.warn_percent,
            "business": not timer.calendar.is_24x7,
            "due_at": timer.due_at.isoformat() if timer.due_at else None,
        }
        rows.append((timer.incident_id, TimelineKind.SLA, False, None, texts[key], data, at))
    insert_rows(
        IncidentTimelineEntry, ("ticket", "kind", "is_public", "author", "body", "data", "created_at"), rows
    )


def due_soon(within_seconds: float, *, limit: int = 1000) -> list[tuple[int, datetime]]:
    """Timers whose next check falls within the next ``within_seconds`` (for ETA tasks)."""
    now = timezone.now()
    return list(
        SlaTimer.objects.filter(
            state__in=CHECKED_STATES,
            next_check_at__gt=now,
            next_check_at__lte=now + timedelta(seconds=within_seconds),
        )
        .order_by("next_check_at")
        .values_list("pk", "next_check_at")[:limit]
    )


# --------------------------------------------------------------------------------------------
# Recompute after an administrator edits a calendar or a policy
# --------------------------------------------------------------------------------------------


def recompute_timers(
    *, calendar: BusinessCalendar | None = None, policy: SlaPolicy | None = None, batch_size: int = 500
) -> int:
    """Replay every counting timer of ``calendar`` or ``policy`` from its segments, in batches.

    A policy edit also re-reads its targets (by each timer's priority), warning percentage and
    calendar; a timer whose metric lost its target is cancelled. Pause history is never lost: the
    segments are the source, only the derived figures change.
    """
    qs = SlaTimer.objects.active()
    if calendar is not None:
        qs = qs.filter(calendar=calendar)
    if policy is not None:
        qs = qs.filter(policy=policy)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    loaded = None
    if policy is not None:
        policy.refresh_from_db()
        targets = tuple((t.metric, t.priority, t.target_minutes) for t in policy.targets.all())
        loaded = LoadedPolicy(policy, rule_of(policy), targets)
    done = 0
    pending = ids
    for attempt in range(6):
        if attempt:
            time.sleep(0.2 * attempt)  # timers of incidents being edited right now: try again
        skipped: list[int] = []
        for offset in range(0, len(pending), batch_size):
            chunk = pending[offset : offset + batch_size]
            done += _recompute_chunk(chunk, loaded, policy, skipped)
        pending = skipped
        if not pending:
            break
    if pending:
        log.warning("SLA recompute left %d timers locked by incident operations", len(pending))
    return done


def _recompute_chunk(chunk: list[int], loaded, policy, skipped: list[int]) -> int:
    """Recompute the timers of ``chunk`` that can be locked now; the others go to ``skipped``."""
    done = 0
    with transaction.atomic():
        now = timezone.now()
        locked = _claim(SlaTimer.objects.filter(pk__in=chunk).order_by("pk"))
        skipped.extend(sorted(set(chunk) - set(locked)))
        timers = (
            SlaTimer.objects.filter(pk__in=locked)
            .select_related("policy", "calendar", "incident")
            .prefetch_related("segments", "calendar__hours", "calendar__holidays")
        )
        entries: dict[int, list[dict]] = {}
        for timer in timers:
            if not timer.is_active:
                continue
            changes = _Changes(timer.incident)
            if loaded is not None:
                seconds = loaded.target_seconds(timer.metric, timer.priority) if policy.is_active else None
                if not seconds:
                    _cancel(timer, now, changes, _("the policy changed"), CANCELLED_POLICY_CHANGED)
                else:
                    old_calendar = timer.calendar_id
                    _retarget(timer, loaded, seconds, timer.priority, now, changes)
                    if timer.calendar_id != old_calendar:
                        timer.calendar = BusinessCalendar.objects.prefetch_related("hours", "holidays").get(
                            pk=timer.calendar_id
                        )
            refresh(timer, now)
            _save(timer, now)
            if changes.entries:
                entries.setdefault(timer.incident_id, []).extend(changes.entries)
            done += 1
        for incident_id, rows in entries.items():
            _write_entries(incident_id, rows)
    return done


# --------------------------------------------------------------------------------------------
# Rebuilding timers from an incident's history
# --------------------------------------------------------------------------------------------


@transaction.atomic
def rebuild_timers(incident, *, now: datetime | None = None) -> list[SlaTimer]:
    """Build the incident's timers from its timeline (for incidents that existed before the SLM
    engine, or after importing data): replays created, state changes, priority changes, agents'
    public comments and the first response through the same engine, then marks thresholds passed
    in the past as reached without notifying anyone. Existing timers are replaced.
    """
    from core.roles import is_agent
    from incidents.models import Incident

    now = now or timezone.now()
    incident = Incident.objects.select_for_update(of=("self",)).select_related("category").get(pk=incident.pk)
    TimerSegment.objects.filter(timer__incident=incident).delete()
    SlaTimer.objects.filter(incident=incident).delete()
    policies = load_policies()
    entries = list(incident.timeline.select_related("author").order_by("created_at", "id"))
    created = next((e for e in entries if e.kind == TimelineKind.CREATED), None)
    priority = (created.data.get("priority") if created else None) or incident.priority
    # Replay the state from the first state change backwards: the incident began as "new".
    state, hold_reason = State.NEW, ""
    responded = False
    assigned = False
    base = facts_of(incident)

    def moment(at: datetime) -> Moment:
        facts = TicketFacts(
            ticket_type=base.ticket_type,
            desk_id=base.desk_id,
            service_id=base.service_id,
            category_path=base.category_path,
            priority=priority,
            is_major=base.is_major,
            group_id=base.group_id,
        )
        return Moment(at, facts, state, hold_reason, responded, assigned, incident.created_at)

    apply_event(incident, "created", moment(incident.created_at), policies=policies, write_timeline=False)
    for entry in entries:
        at = entry.created_at
        if entry.kind == TimelineKind.STATE_CHANGE and isinstance(entry.data.get("state"), list):
            old, new = entry.data["state"]
            state, hold_reason = new, entry.data.get("hold_reason", "") if new == State.ON_HOLD else ""
            data = {"old": old, "new": new, "reopened": old == State.RESOLVED and new == State.IN_PROGRESS}
            apply_event(
                incident, "state_changed", moment(at), data=data, policies=policies, write_timeline=False
            )
        elif entry.kind == TimelineKind.FIELD_CHANGE and isinstance(entry.data.get("priority"), list):
            priority = entry.data["priority"][1]
            apply_event(incident, "priority_changed", moment(at), policies=policies, write_timeline=False)
        elif entry.kind == TimelineKind.ASSIGNMENT:
            assigned = bool((entry.data.get("assigned_to") or [None, None])[1])
        elif entry.kind == TimelineKind.COMMENT and entry.is_public and entry.author_id:
            if entry.author_id != incident.caller_id and is_agent(entry.author):
                first = not responded
                responded = True
                if first:
                    apply_event(
                        incident, "first_response", moment(at), policies=policies, write_timeline=False
                    )
                apply_event(
                    incident, "public_comment", moment(at), data={"agent": True}, by=entry.author,
                    policies=policies, write_timeline=False,
                )  # fmt: skip
    timers = list(SlaTimer.objects.filter(incident=incident).for_display())
    for timer in timers:
        figs = figures(timer, now)
        if timer.is_active:
            if figs.warning_at is not None and figs.warning_at <= now:
                timer.warned_at = figs.warning_at
            if figs.due_at is not None and figs.due_at <= now:
                timer.breached_at = figs.due_at
                timer.warned_at = timer.warned_at or figs.warning_at
        refresh(timer, now)
        _save(timer, now)
    return timers


# --------------------------------------------------------------------------------------------
# Other operations
# --------------------------------------------------------------------------------------------


@transaction.atomic
def set_breach_reason(timer: SlaTimer, *, by, reason: str) -> SlaTimer:
    """Record why a target was missed (shown in the Service Review report)."""
    from django.core.exceptions import ValidationError

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the target was missed.")})
    locked = SlaTimer.objects.select_for_update().select_related("policy", "calendar").get(pk=timer.pk)
    if locked.state != TimerState.BREACHED:
        raise ValidationError({"reason": _("Only a breached timer has a breach reason.")})
    locked.breach_reason = reason[:2000]
    locked.version += 1
    locked.save(update_fields=["breach_reason", "version"])
    changes = _Changes(locked.incident)
    changes.note(
        "breach_reason",
        locked,
        timezone.now(),
        _("Breach reason: %(reason)s") % {"reason": reason},
        reason=locked.breach_reason,
    )
    from incidents.models import IncidentTimelineEntry

    e = changes.entries[0]
    IncidentTimelineEntry.objects.create(
        ticket_id=locked.incident_id,
        kind=TimelineKind.SLA,
        author=by,
        body=e["body"],
        data=e["data"],
        created_at=e["at"],
    )
    timer.breach_reason = locked.breach_reason
    return locked


@transaction.atomic
def load_public_holidays(calendar: BusinessCalendar, *, country: str, year: int, by=None) -> int:
    """Add the public holidays of ``country`` in ``year`` (``holidays`` package) as fixed dates."""
    import holidays as holiday_lib
    from django.core.exceptions import ValidationError

    country = (country or "").strip().upper()
    try:
        found = holiday_lib.country_holidays(country, years=int(year))
    except (NotImplementedError, KeyError, ValueError):
        raise ValidationError({"country": _("No public holidays are known for “%(c)s”.") % {"c": country}})
    existing = set(calendar.holidays.values_list("date", flat=True))
    rows = [
        Holiday(calendar=calendar, date=d, name=str(name)[:100])
        for d, name in sorted(found.items())
        if d not in existing
    ]
    Holiday.objects.bulk_create(rows)
    _note_loaded(calendar, f"{country}:{int(year)}")
    if rows:
        calendar_changed(calendar)
    return len(rows)


def _note_loaded(calendar: BusinessCalendar, key: str) -> None:
    years = list(
        BusinessCalendar.objects.filter(pk=calendar.pk).values_list("public_holiday_years", flat=True).first()
        or []
    )
    if key not in years:
        years.append(key)
        # A queryset update: no post_save, so no version bump or recompute of its own.
        BusinessCalendar.objects.filter(pk=calendar.pk).update(public_holiday_years=sorted(years))
    calendar.public_holiday_years = sorted(years)


def ensure_public_holidays(calendar: BusinessCalendar, *, today=None) -> int:
    """Load the public holidays of the calendar's country for this year and the next
    ``HOLIDAY_YEARS_AHEAD`` years, each year once (idempotent); returns the holidays added.

    Runs when a calendar with a country is saved and from a periodic task, so a calendar never
    runs out of holidays at a new year. A year already loaded is not loaded again, so a holiday
    that an administrator deleted stays deleted.
    """
    country = (calendar.holiday_country or "").strip().upper()
    if not country or calendar.is_24x7:
        return 0
    year = (today or timezone.localdate()).year
    ahead = getattr(settings, "HOLIDAY_YEARS_AHEAD", 1)
    added = 0
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        loaded = set(locked.public_holiday_years or [])
        for wanted in range(year, year + ahead + 1):
            if f"{country}:{wanted}" not in loaded:
                added += load_public_holidays(locked, country=country, year=wanted)
    return added


def ensure_all_public_holidays(*, today=None) -> dict:
    """The periodic task's work: every active calendar with a country; a calendar that fails is
    logged and set aside (see :mod:`core.sweeps`), the others are loaded."""
    totals = {"calendars": 0, "added": 0, "failed": 0}
    calendars = (
        BusinessCalendar.objects.filter(is_24x7=False, is_active=True)
        .exclude(holiday_country="")
        .exclude(pk__in=sweeps.skipped_ids("slm.public_holidays"))
    )
    failed: list[int] = []
    for calendar in calendars:
        with sweeps.isolated("slm.public_holidays", "slm.BusinessCalendar", calendar.pk, failed=failed):
            totals["added"] += ensure_public_holidays(calendar, today=today)
            totals["calendars"] += 1
    totals["failed"] = len(failed)
    return totals


def calendar_changed(calendar: BusinessCalendar) -> None:
    """Bump the calendar's version and replay its running timers after commit (bulk writes
    bypass the post_save hooks, so they call this)."""
    from slm import hooks

    hooks.calendar_saved(BusinessCalendar, calendar)
    calendar.refresh_from_db(fields=["version", "changed_at"])


# --------------------------------------------------------------------------------------------
# Queue helpers
# --------------------------------------------------------------------------------------------


def with_next_due(incidents: QuerySet, *, kind: str = AgreementKind.SLA) -> QuerySet:
    """Annotate ``next_due``: the earliest due instant of the incident's counting, unpaused timers.

    Overdue (breached, still counting) timers have a due instant in the past and sort first.
    Order by ``F("next_due").asc(nulls_last=True)`` for a "breaching soonest" queue; the subquery
    uses the partial index (incident, due_at) WHERE stopped_at IS NULL.
    """
    soonest = (
        SlaTimer.objects.filter(
            incident=OuterRef("pk"), stopped_at__isnull=True, is_paused=False, kind=kind, due_at__isnull=False
        )
        .exclude(state=TimerState.CANCELLED)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return incidents.annotate(next_due=Subquery(soonest))


def breaching_soonest(incidents: QuerySet) -> QuerySet:
    return with_next_due(incidents).filter(next_due__isnull=False).order_by(F("next_due").asc(), "pk")


def timers_prefetch(*, active_only: bool = False):
    """A ``Prefetch`` of ``sla_timers`` with everything their figures need (constant queries)."""
    from django.db.models import Prefetch

    qs = (
        SlaTimer.objects.for_display().exclude(state=TimerState.CANCELLED).order_by("kind", "metric", "cycle")
    )
    if active_only:
        qs = qs.filter(stopped_at__isnull=True)
    return Prefetch("sla_timers", queryset=qs)


def current_timers(timers: Iterable[SlaTimer]) -> list[SlaTimer]:
    """The timers worth showing: every response/resolution timer and the latest update cycle."""
    result, latest_update = [], {}
    for timer in timers:
        if timer.state == TimerState.CANCELLED:
            continue
        if timer.metric == Metric.UPDATE:
            key = timer.kind
            if key not in latest_update or timer.cycle > latest_update[key].cycle:
                latest_update[key] = timer
            continue
        result.append(timer)
    result.extend(latest_update.values())
    order = {Metric.RESPONSE: 0, Metric.RESOLUTION: 1, Metric.UPDATE: 2}
    return sorted(result, key=lambda t: (t.kind != AgreementKind.SLA, order.get(t.metric, 9), t.cycle))


def breached_between(start: datetime, end: datetime) -> Q:
    return Q(breached_at__gte=start, breached_at__lt=end)


def policy_targets_changed(policy: SlaPolicy) -> None:
    """Targets were bulk-replaced (which bypasses the post_save hooks): replay after commit."""
    from slm import hooks

    hooks.policy_saved(SlaPolicy, policy)
    policy.refresh_from_db(fields=["version"])
