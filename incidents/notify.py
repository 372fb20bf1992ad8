"""Who is told what about an incident, through the outbox, in each recipient's language.

Internal work notes never produce a notification to the caller. Every dedupe key names the event
precisely, so retrying an operation never doubles a message.
"""

from __future__ import annotations

from django.conf import settings

from notifications.services import group_recipients, notify, notify_many


def _context(incident, **extra) -> dict:
    return {
        "number": incident.number,
        "short_description": incident.short_description,
        "state": incident.state,
        "priority": incident.priority,
        "caller": str(incident.caller),
        "group": str(incident.assignment_group) if incident.assignment_group_id else "",
        "assignee": str(incident.assigned_to) if incident.assigned_to_id else "",
        "portal_url": f"{settings.SITE_URL}{incident.get_portal_url()}",
        "agent_url": f"{settings.SITE_URL}{incident.get_absolute_url()}",
        "desk": str(incident.desk),
        **extra,
    }


def _resolvers(incident) -> list:
    if incident.assigned_to_id:
        return [incident.assigned_to]
    return group_recipients(incident.assignment_group)


def incident_created(incident) -> None:
    notify(
        template="incident_created",
        to=incident.caller,
        context=_context(incident),
        dedupe_key=f"incident:{incident.pk}:created",
        thread=incident.number,
    )


def incident_assigned(incident, *, by) -> None:
    key = f"incident:{incident.pk}:assigned:v{incident.version}"
    context = _context(incident, assigned_by=str(by))
    if incident.assigned_to_id and incident.assigned_to_id != by.pk:
        notify(
            template="incident_assigned",
            to=incident.assigned_to,
            context=context,
            dedupe_key=f"{key}:assignee",
            thread=incident.number,
        )
    elif not incident.assigned_to_id and incident.assignment_group_id:
        notify_many(
            template="incident_assigned",
            recipients=group_recipients(incident.assignment_group),
            context=context,
            dedupe_key=f"{key}:group",
            thread=incident.number,
        )


def incident_escalated(incident, *, by, reason: str) -> None:
    group = incident.assignment_group
    if group is None or group.manager_id is None:
        return
    notify(
        template="incident_escalated",
        to=group.manager,
        context=_context(incident, reason=reason, level=incident.escalation_level, escalated_by=str(by)),
        dedupe_key=f"incident:{incident.pk}:escalated:{incident.escalation_level}",
        thread=incident.number,
    )


def comment_added(incident, entry) -> None:
    if not entry.is_public:
        return  # work notes are internal: never e-mailed to the caller
    context = _context(incident, body=entry.body, author=str(entry.author))
    key = f"incident:{incident.pk}:comment:{entry.pk}"
    if entry.author_id == incident.caller_id:
        notify_many(
            template="incident_caller_replied",
            recipients=_resolvers(incident),
            context=context,
            dedupe_key=key,
            thread=incident.number,
        )
    else:
        notify(
            template="incident_comment",
            to=incident.caller,
            context=context,
            dedupe_key=key,
            thread=incident.number,
        )


def incident_state_changed(incident, *, by, old_state: str, comment: str = "") -> None:
    key = f"incident:{incident.pk}:state:{incident.state}:v{incident.version}"
    if incident.state == "resolved":
        notify(
            template="incident_resolved",
            to=incident.caller,
            context=_context(
                incident,
                resolution_code=incident.get_resolution_code_display(),
                resolution_code_value=incident.resolution_code,
                resolution_notes=incident.resolution_notes,
                auto_close_days=settings.INCIDENT_AUTO_CLOSE_DAYS,
            ),
            dedupe_key=key,
            thread=incident.number,
        )
    elif incident.state == "closed":
        notify(
            template="incident_closed",
            to=incident.caller,
            context=_context(incident),
            dedupe_key=key,
            thread=incident.number,
        )
    elif incident.state == "cancelled":
        notify(
            template="incident_cancelled",
            to=incident.caller,
            context=_context(incident, reason=incident.resolution_notes),
            dedupe_key=key,
            thread=incident.number,
        )
    elif old_state == "resolved" and incident.state == "in_progress":
        notify_many(
            template="incident_reopened",
            recipients=_resolvers(incident),
            context=_context(incident, reason=comment, reopened_by=str(by)),
            dedupe_key=key,
            thread=incident.number,
        )
