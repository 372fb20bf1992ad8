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
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import Recipient

log = logging.getLogger(__name__)


def _group_recipients(group) -> list[Recipient]:
    if group is None:
        return []
    if group.email:
        return [Recipient(address=group.email, language=group.desk.language if group.desk_id else "en")]
    return [Recipient.of(u) for u in group.members.all() if u.is_active]


def recipients(kind: str, timer) -> list[Recipient]:
    """Recipients of a ``warning`` or ``breach`` of ``timer`` (deduplicated by address)."""
    incident, policy = timer.incident, timer.policy
    found: list[Recipient] = []
    if policy.notify_assignee or kind == "warning":
        if incident.assigned_to_id:
            found.append(Recipient.of(incident.assigned_to))
        else:
            found += _group_recipients(incident.assignment_group)
    if kind == "breach":
        group = incident.assignment_group
        if policy.notify_group_manager and group is not None and group.manager_id:
            found.append(Recipient.of(group.manager))
        if incident.priority in (policy.duty_manager_priorities or []) and incident.desk.duty_manager_id:
            found.append(Recipient.of(incident.desk.duty_manager))
        found += [Recipient.of(u) for u in policy.escalation_users.all() if u.is_active]
        for extra in policy.escalation_groups.all():
            found += _group_recipients(extra)
        language = incident.desk.language or settings.LANGUAGE_CODE
        found += [Recipient(address=a, language=language) for a in policy.address_list]
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


def context(kind: str, timer, figs) -> dict:
    incident = timer.incident
    zone = ZoneInfo(incident.desk.time_zone or settings.TIME_ZONE)
    due = timer.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if timer.due_at else ""
    return {
        "number": incident.number,
        "short_description": incident.short_description,
        "priority": incident.priority,
        "metric": timer.metric,
        "kind": timer.kind,
        "policy": timer.policy.name,
        "target_minutes": math.ceil(timer.target_seconds / 60),
        "warn_percent": timer.warn_percent,
        "due_at": due,
        "time_zone": str(zone),
        "group": str(incident.assignment_group) if incident.assignment_group_id else "",
        "assignee": str(incident.assigned_to) if incident.assigned_to_id else "",
        "agent_url": f"{settings.SITE_URL}{incident.get_absolute_url()}",
    }


def sla_events(events) -> int:
    """Write the outbox rows of a sweep batch's (kind, timer, figures) events; returns how many."""
    rows = []
    now = timezone.now()
    for kind, timer, figs in events:
        ctx = context(kind, timer, figs)
        for r in recipients(kind, timer):
            rows.append(
                Notification(
                    recipient_id=r.user_id,
                    address=r.address,
                    language=r.language,
                    template=f"sla_{kind}",
                    context=ctx,
                    dedupe_key=dedupe_key(kind, timer, r.address),
                    thread=timer.incident.number,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    transaction.on_commit(lambda: _enqueue_delivery(len(rows)))
    return len(rows)


def _enqueue_delivery(count: int) -> None:
    from notifications.tasks import deliver_due_notifications

    try:
        for _ in range(min(math.ceil(count / 500), 10)):
            deliver_due_notifications.delay()
    except Exception:  # broker down: the outbox sweep delivers them
        log.warning("could not queue delivery of SLA notifications; the outbox sweep will send them")
