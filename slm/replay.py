"""SLA timers of many incidents built from their history at once (demo history, imports).

``rebuild_timers`` replays one incident through the database, event by event. This module runs
the same engine (:func:`slm.services.apply_event`, in its in-memory mode) over the timelines of
many incidents, read in two queries per batch, and inserts the resulting timers, their segments
and, optionally, the service-level entries of the timelines in bulk. Thresholds passed in the past
are marked as reached (and, with ``timeline``, recorded as the sweep would have recorded them)
without notifying anyone: they belong to the past.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import bulk
from core.choices import TimelineKind
from core.models import SupportGroup, User
from core.roles import AGENT_ROLES
from incidents.choices import State
from slm import services
from slm.choices import TimerState
from slm.rules import TicketFacts


def _agent_ids() -> set[int]:
    roles = Group.objects.filter(name__in=AGENT_ROLES)
    return set(
        User.objects.filter(Q(is_superuser=True) | Q(groups__in=roles), is_active=True).values_list(
            "pk", flat=True
        )
    )


def replay_incidents(
    incident_ids: Iterable[int], *, now: datetime | None = None, timeline: bool = True, batch_size: int = 500
) -> int:
    """Build the timers of incidents that have none from their timelines; returns the count of
    timers written. Incidents that already have timers are left alone (see ``rebuild_timers``).

    ``timeline`` also writes the service-level entries (started, met, missed, warnings and
    breaches) at the instants they happened, as a live incident has them.
    """
    from incidents.models import Incident, IncidentTimelineEntry

    now = now or timezone.now()
    ids = sorted(set(incident_ids))
    policies = services.load_policies()
    agents = _agent_ids()
    groups = dict(SupportGroup.objects.values_list("name", "pk"))
    written = 0
    for offset in range(0, len(ids), batch_size):
        chunk = ids[offset : offset + batch_size]
        with transaction.atomic():
            incidents = list(
                Incident.objects.filter(pk__in=chunk, sla_timers__isnull=True).select_related("category")
            )
            history: dict[int, list[tuple]] = {}
            rows = (
                IncidentTimelineEntry.objects.filter(ticket_id__in=[i.pk for i in incidents])
                .exclude(kind=TimelineKind.SLA)
                .order_by("ticket_id", "created_at", "id")
                .values_list("ticket_id", "kind", "is_public", "author_id", "data", "created_at")
            )
            for ticket_id, *entry in rows:
                history.setdefault(ticket_id, []).append(tuple(entry))
            replays = {}
            for incident in incidents:
                replay = services.Replay()
                _replay_one(incident, history.get(incident.pk, []), replay, policies, agents, groups, now)
                replays[incident.pk] = replay
            written += _insert(replays, timeline=timeline)
    return written


def _replay_one(incident, entries, replay, policies, agents, groups, now) -> None:
    """Walk one incident's history through the engine, as ``rebuild_timers`` does, plus the
    assignment group at each moment (OLAs follow the group)."""
    base = services.facts_of(incident)
    created = next((e for e in entries if e[0] == TimelineKind.CREATED), None)
    state, hold_reason = State.NEW, ""
    priority = (created[3].get("priority") if created else None) or incident.priority
    # The group and assignee at creation: the "from" side of the first assignment, if any.
    first = next((e[3] for e in entries if e[0] == TimelineKind.ASSIGNMENT), None)
    if first is not None:
        group_name = (first.get("assignment_group") or [None, None])[0]
        group_id = groups.get(group_name) if group_name else None
        assigned = bool((first.get("assigned_to") or [None, None])[0])
    else:
        group_id, assigned = base.group_id, incident.assigned_to_id is not None
    responded = False

    def moment(at: datetime) -> services.Moment:
        facts = TicketFacts(
            ticket_type=base.ticket_type,
            desk_id=base.desk_id,
            service_id=base.service_id,
            category_path=base.category_path,
            priority=priority,
            is_major=base.is_major,
            group_id=group_id,
        )
        return services.Moment(at, facts, state, hold_reason, responded, assigned, incident.created_at)

    def apply(event: str, at: datetime, **kwargs) -> None:
        services.apply_event(incident, event, moment(at), policies=policies, replay=replay, **kwargs)

    apply("created", incident.created_at)
    for kind, is_public, author_id, data, at in entries:
        if kind == TimelineKind.STATE_CHANGE and isinstance(data.get("state"), list):
            old, new = data["state"]
            state, hold_reason = new, data.get("hold_reason", "") if new == State.ON_HOLD else ""
            reopened = old == State.RESOLVED and new == State.IN_PROGRESS
            apply("state_changed", at, data={"old": old, "new": new, "reopened": reopened})
        elif kind == TimelineKind.FIELD_CHANGE and isinstance(data.get("priority"), list):
            priority = data["priority"][1]
            apply("priority_changed", at)
        elif kind == TimelineKind.ASSIGNMENT:
            assigned = bool((data.get("assigned_to") or [None, None])[1])
            group_name = (data.get("assignment_group") or [None, None])[1]
            group_id = groups.get(group_name) if group_name else None
            apply("assigned", at, data={"functional": bool(data.get("functional_escalation"))})
        elif kind == TimelineKind.COMMENT and is_public and author_id:
            if author_id != incident.caller_id and author_id in agents:
                if not responded:
                    responded = True
                    apply("first_response", at)
                apply("public_comment", at, data={"agent": True}, by=User(pk=author_id))
    for timer in replay.timers:
        figs = services.figures(timer, now)
        end = timer.stopped_at or now
        if timer.state != TimerState.CANCELLED:
            if figs.warning_at is not None and figs.warning_at <= end:
                timer.warned_at = figs.warning_at
            if figs.due_at is not None and figs.due_at <= end:
                timer.breached_at = figs.due_at
                timer.warned_at = timer.warned_at or figs.warning_at
        services.refresh(timer, now, figs)
        timer.version = 1
        timer.updated_at = timer.stopped_at or now


def _threshold_entries(replay) -> list[dict]:
    """The warnings and breaches the sweep would have recorded when they happened."""
    entries = []
    for timer in replay.timers:
        for event, at in (("warning", timer.warned_at), ("breach", timer.breached_at)):
            if at is None or (event == "warning" and timer.breached_at and at >= timer.breached_at):
                continue
            text = (
                _("%(metric)s target breached (%(target)s, %(policy)s).")
                if event == "breach"
                else _("%(metric)s target at %(percent)s %% (%(target)s, %(policy)s).")
            ) % {
                "metric": services.metric_label(timer.metric),
                "target": services.format_duration(timer.target_seconds),
                "policy": timer.policy.name,
                "percent": timer.warn_percent,
            }
            entries.append(
                {
                    "at": at,
                    "body": text,
                    "timer": timer,
                    "data": {
                        "event": event,
                        "kind": timer.kind,
                        "metric": timer.metric,
                        "cycle": timer.cycle,
                        "policy": timer.policy.name,
                        "target_seconds": timer.target_seconds,
                        "due_at": timer.due_at.isoformat() if timer.due_at else None,
                    },
                }
            )
    return entries


def _insert(replays: dict, *, timeline: bool) -> int:
    from incidents.models import IncidentTimelineEntry

    timers = [timer for replay in replays.values() for timer in replay.timers]
    bulk.insert(timers)
    segments = []
    for timer in timers:
        for seg in services._segments(timer):
            seg.timer = timer  # now that the timer has its primary key
            segments.append(seg)
    bulk.insert(segments)
    if timeline:
        rows = [
            (
                incident_id,
                TimelineKind.SLA,
                False,
                None,
                e["body"],
                {**e["data"], "timer": e["timer"].pk},
                e["at"],
            )
            for incident_id, replay in replays.items()
            for e in [*replay.entries, *_threshold_entries(replay)]
        ]
        bulk.insert_values(
            IncidentTimelineEntry,
            ("ticket_id", "kind", "is_public", "author_id", "body", "data", "created_at"),
            rows,
        )
    return len(timers)
