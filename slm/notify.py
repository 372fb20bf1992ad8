"""Who hears of SLA warnings and breaches, written to the outbox in bulk by the sweep.

Warnings go to the assignee (or, when nobody is assigned, the group's address or members).
Breaches also go to the group manager, to the desk's duty manager for the priorities the policy
names (default P1/P2) and to the policy's extra users, groups and addresses.

Rows are the same as ``notifications.services.notify`` writes (one per recipient address, a unique
dedupe key per event and address), but inserted with one ``bulk_create(ignore_conflicts=True)``
per sweep batch: a sweep that records 10,000 breaches must not pay a savepoint and a broker
message per row. Delivery is queued once after commit; the outbox sweep is the guarantee.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.dates import iso
from notifications.models import Channel, Notification, Status
from notifications.services import Recipient, group_recipients
from slm.bulk import insert_rows

log = logging.getLogger(__name__)


@dataclass
class _Batch:
    """What the notifications of one sweep batch need, loaded in a handful of queries."""

    incidents: dict[int, dict]
    users: dict[int, object]
    groups: dict[int, object]
    desks: dict[int, object]
    policies: dict[int, object]
    agent_url: str
    memo: dict

    @classmethod
    def load(cls, events) -> _Batch:
        from core.models import Desk, SupportGroup, User
        from incidents.models import Incident
        from slm.models import SlaPolicy

        incident_ids = {timer.incident_id for _kind, timer, _figs in events}
        incidents = {
            row["id"]: row
            for row in Incident.objects.filter(pk__in=incident_ids).values(
                "id",
                "number",
                "short_description",
                "priority",
                "desk_id",
                "assigned_to_id",
                "assignment_group_id",
            )
        }
        groups = SupportGroup.objects.select_related("desk", "manager").prefetch_related("members")
        groups = groups.in_bulk(
            {r["assignment_group_id"] for r in incidents.values() if r["assignment_group_id"]}
        )
        desks = Desk.objects.select_related("duty_manager").in_bulk(
            {r["desk_id"] for r in incidents.values()}
        )
        users = User.objects.in_bulk({r["assigned_to_id"] for r in incidents.values() if r["assigned_to_id"]})
        policies = SlaPolicy.objects.prefetch_related(
            "escalation_users", "escalation_groups__members", "escalation_groups__desk"
        ).in_bulk({timer.policy_id for _kind, timer, _figs in events})
        placeholder = "INC0000000"
        url = reverse("incidents:agent-detail", kwargs={"number": placeholder})
        return cls(
            incidents,
            users,
            groups,
            desks,
            policies,
            f"{settings.SITE_URL}{url}".replace(placeholder, "{}"),
            {},
        )


def _memo(batch: _Batch, key, build):
    if key not in batch.memo:
        batch.memo[key] = build()
    return batch.memo[key]


def recipients(kind: str, timer, batch: _Batch) -> list[Recipient]:
    """Recipients of a ``warning`` or ``breach`` of ``timer`` (deduplicated by address)."""
    incident = batch.incidents[timer.incident_id]
    policy = batch.policies[timer.policy_id]
    group = batch.groups.get(incident["assignment_group_id"])
    desk = batch.desks[incident["desk_id"]]
    found: list[Recipient] = []
    if policy.notify_assignee or kind == "warning":
        if incident["assigned_to_id"]:
            found.append(Recipient.of(batch.users[incident["assigned_to_id"]]))
        elif group is not None:
            found += _memo(batch, ("group", group.pk), lambda: group_recipients(group))
    if kind == "breach":
        if policy.notify_group_manager and group is not None and group.manager_id:
            found.append(Recipient.of(group.manager))
        if incident["priority"] in (policy.duty_manager_priorities or []) and desk.duty_manager_id:
            found.append(Recipient.of(desk.duty_manager))

        def extra() -> list[Recipient]:
            people = [Recipient.of(u) for u in policy.escalation_users.all() if u.is_active]
            for other in policy.escalation_groups.all():
                people += group_recipients(other)
            language = desk.language or settings.LANGUAGE_CODE
            return people + [Recipient(address=a, language=language) for a in policy.address_list]

        found += _memo(batch, ("policy", policy.pk, desk.pk), extra)
    unique, seen = [], set()
    for r in found:
        if r.address and r.address.lower() not in seen:
            seen.add(r.address.lower())
            unique.append(r)
    return unique


def dedupe_key(kind: str, timer, address: str) -> str:
    # The target is part of the key: after a priority change to a longer target the new
    # threshold is a new event; the same threshold reached twice (a duplicate sweep) is not.
    return f"sla:{timer.pk}:{kind}:{timer.cycle}:t{timer.target_seconds}:{address.lower()}"[:255]


def context(kind: str, timer, batch: _Batch) -> dict:
    incident = batch.incidents[timer.incident_id]
    desk = batch.desks[incident["desk_id"]]
    group = batch.groups.get(incident["assignment_group_id"])
    assignee = batch.users.get(incident["assigned_to_id"])
    zone = _memo(batch, ("zone", desk.pk), lambda: ZoneInfo(desk.time_zone or settings.TIME_ZONE))
    # ISO text in the desk's zone; the template shows it in the recipient's language (core.dates).
    due = iso(timer.due_at, zone)
    return {
        "number": incident["number"],
        "short_description": incident["short_description"],
        "priority": incident["priority"],
        "metric": timer.metric,
        "kind": timer.kind,
        "policy": timer.policy.name,
        "target_minutes": math.ceil(timer.target_seconds / 60),
        "warn_percent": timer.warn_percent,
        "due_at": due,
        "time_zone": str(zone),
        "group": str(group) if group is not None else "",
        "assignee": str(assignee) if assignee is not None else "",
        "agent_url": batch.agent_url.format(incident["number"]),
    }


def sla_events(events) -> int:
    """Write the outbox rows of a sweep batch's (kind, timer, figures) events; returns how many."""
    if not events:
        return 0
    batch = _Batch.load(events)
    rows = []
    now = timezone.now()
    for kind, timer, _figs in events:
        ctx = context(kind, timer, batch)
        for r in recipients(kind, timer, batch):
            # Defaults of the model are spelled out: this bypasses the ORM (see slm.bulk).
            rows.append(
                (
                    Channel.EMAIL, r.user_id, r.address, r.language, f"sla_{kind}", ctx,
                    dedupe_key(kind, timer, r.address), ctx["number"], Status.PENDING, 0, now, "", "", now,
                )
            )  # fmt: skip
    insert_rows(Notification, NOTIFICATION_FIELDS, rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(lambda: _enqueue_delivery(len(rows)))
    return len(rows)


NOTIFICATION_FIELDS = (
    "channel",
    "recipient",
    "address",
    "language",
    "template",
    "context",
    "dedupe_key",
    "thread",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "message_id",
    "created_at",
)


def _enqueue_delivery(count: int) -> None:
    from notifications.tasks import deliver_due_notifications

    try:
        for _ in range(min(math.ceil(count / 500), 10)):
            deliver_due_notifications.delay()
    except Exception:  # broker down: the outbox sweep delivers them
        log.warning("could not queue delivery of SLA notifications; the outbox sweep will send them")
