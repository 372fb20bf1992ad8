"""Domain operations on incidents: the only code that changes an incident.

Every function is atomic, takes the acting user as keyword-only ``by``, writes timeline entries
(and outbox rows through ``incidents.notify``), bumps the version for optimistic concurrency and
sends ``incident_event`` so that other processes (SLA timers, major incidents, problems) react
inside the same transaction. Views, the API, e-mail handlers, admin actions and tasks call these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import sweeps
from core.choices import TimelineKind
from core.models import Category, Desk, SupportGroup, User
from core.numbering import next_number
from core.roles import is_agent
from incidents import notify as notifications
from incidents.choices import HoldReason, MajorState, State
from incidents.models import Attachment, Incident, IncidentTimelineEntry, PriorityMatrixCell, RoutingRule
from incidents.rules import priority_for, transition_errors
from incidents.signals import incident_event

log = logging.getLogger(__name__)


class StaleIncidentError(Exception):
    """The incident changed since the client read it (optimistic concurrency)."""

    def __init__(self, incident: Incident, expected_version: int):
        self.incident = incident
        self.expected_version = expected_version
        super().__init__(
            _(
                "%(number)s was changed by someone else (version %(current)s, you edited version "
                "%(expected)s). Reload it and apply your change again."
            )
            % {"number": incident.number, "current": incident.version, "expected": expected_version}
        )


# Fields an agent may edit directly; state, assignment and resolution have their own operations.
EDITABLE_FIELDS = (
    "short_description",
    "description",
    "impact",
    "urgency",
    "category",
    "service",
    "configuration_item",
    "desk",
    "contact_channel",
    "parent",
)


def priority_matrix() -> dict[tuple[int, int], int]:
    return {(c.impact, c.urgency): c.priority for c in PriorityMatrixCell.objects.all()}


def compute_priority(impact: int, urgency: int) -> int:
    return priority_for(impact, urgency, priority_matrix())


def _display(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _record(
    incident: Incident,
    *,
    kind: str,
    by: User | None,
    body: str = "",
    public: bool = False,
    data: dict | None = None,
    at=None,
) -> IncidentTimelineEntry:
    return IncidentTimelineEntry.objects.create(
        ticket=incident,
        kind=kind,
        author=by,
        body=body,
        is_public=public,
        data=data or {},
        created_at=at or timezone.now(),
    )


def _emit(incident: Incident, event: str, *, by: User | None, **data) -> None:
    incident_event.send(sender=Incident, incident=incident, event=event, by=by, data=data)


def _lock(incident: Incident, expected_version: int | None) -> Incident:
    """Re-read the row under a lock and check the version the caller based its edit on."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleIncidentError(locked, expected_version)
    return locked


def _save(incident: Incident, fields: Iterable[str]) -> None:
    incident.version += 1
    incident.updated_at = timezone.now()
    incident.save(update_fields=sorted({*fields, "version", "updated_at"}))


def _sync(target: Incident, source: Incident) -> None:
    """Copy the locked row's state back into the caller's object so it stays current."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def route(incident: Incident) -> SupportGroup | None:
    """The group of the first active routing rule that matches the incident, else the desk's
    default (first-line) group: no new incident is left outside every working queue."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("category"):
        if rule.matches(incident):
            return rule.assignment_group
    desk = incident.desk
    if desk is None or desk.default_group_id is None:
        return None
    # Read here rather than through desk.default_group: an inactive (or moved) group gets nothing.
    return SupportGroup.objects.filter(pk=desk.default_group_id, desk_id=desk.pk, is_active=True).first()


def _validate_assignee(group: SupportGroup | None, assignee: User | None) -> None:
    if assignee is None:
        return
    if not is_agent(assignee):
        raise ValidationError({"assigned_to": _("%(user)s is not an agent.") % {"user": assignee}})
    if group is None:
        raise ValidationError({"assigned_to": _("Choose an assignment group before an assignee.")})
    if not group.members.filter(pk=assignee.pk).exists():
        raise ValidationError(
            {"assigned_to": _("%(user)s is not a member of %(group)s.") % {"user": assignee, "group": group}}
        )


@transaction.atomic
def create_incident(
    *,
    by: User,
    caller: User,
    short_description: str,
    description: str = "",
    desk: Desk | None = None,
    contact_channel: str = "portal",
    service=None,
    category: Category | None = None,
    configuration_item: str = "",
    impact: int = 3,
    urgency: int = 3,
    assignment_group: SupportGroup | None = None,
    assigned_to: User | None = None,
    parent: Incident | None = None,
) -> Incident:
    """Register an incident: number, priority, routing, timeline, acknowledgement to the caller."""
    if not short_description or not short_description.strip():
        raise ValidationError({"short_description": _("A short description is required.")})
    if desk is None:
        desk = (service.desk if service is not None and service.desk_id else None) or Desk.objects.filter(
            is_active=True
        ).order_by("id").first()
        if desk is None:
            raise ValidationError({"desk": _("No service desk is configured.")})
    try:
        priority = compute_priority(impact, urgency)
    except ValueError as exc:
        field = "impact" if "impact" in str(exc) else "urgency"
        raise ValidationError({field: str(exc)}) from None
    _validate_assignee(assignment_group, assigned_to)
    now = timezone.now()
    incident = Incident(
        number=next_number("INC"),
        short_description=short_description.strip(),
        description=description,
        caller=caller,
        opened_by=by,
        desk=desk,
        contact_channel=contact_channel,
        service=service,
        category=category,
        configuration_item=configuration_item,
        impact=impact,
        urgency=urgency,
        priority=priority,
        assignment_group=assignment_group,
        assigned_to=assigned_to,
        parent=parent,
        created_at=now,
        updated_at=now,
    )
    routed = False
    if incident.assignment_group is None:
        incident.assignment_group = route(incident)
        routed = incident.assignment_group is not None
    # The range CheckConstraints are enforced by the database; checking them here as well costs
    # three queries with savepoints per write (Django validates constraints with SELECTs), while
    # clean_fields() already refuses values outside the impact/urgency/priority choices.
    incident.full_clean(exclude=["number", "opened_by", "caller", "desk"], validate_constraints=False)
    incident.save()
    _record(
        incident,
        kind=TimelineKind.CREATED,
        by=by,
        public=True,
        at=now,
        data={
            "channel": contact_channel,
            "priority": priority,
            "routed_to": _display(incident.assignment_group) if routed else None,
        },
    )
    _emit(incident, "created", by=by)
    notifications.incident_created(incident)
    if incident.assignment_group_id:
        notifications.incident_assigned(incident, by=by)
    return incident


@transaction.atomic
def update_incident(
    incident: Incident, *, by: User, changes: dict[str, Any], expected_version: int | None = None
) -> Incident:
    """Edit descriptive fields; impact/urgency recompute the priority. One timeline entry."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    locked = _lock(incident, expected_version)
    if locked.state in (State.CLOSED, State.CANCELLED):
        raise ValidationError({"state": _("A closed or cancelled incident cannot be edited.")})
    diff = {}
    for name, value in changes.items():
        old = getattr(locked, name)
        if old != value:
            diff[name] = [_display(old), _display(value)]
            setattr(locked, name, value)
    if "parent" in diff and locked.parent_id == locked.pk:
        raise ValidationError({"parent": _("An incident cannot be its own parent.")})
    if "impact" in diff or "urgency" in diff:
        try:
            new_priority = compute_priority(locked.impact, locked.urgency)
        except ValueError as exc:
            raise ValidationError({"impact" if "impact" in str(exc) else "urgency": str(exc)}) from None
        if new_priority != locked.priority:
            diff["priority"] = [locked.priority, new_priority]
            locked.priority = new_priority
    if not diff:
        _sync(incident, locked)
        return incident
    locked.full_clean(exclude=["number", "opened_by", "caller", "desk"], validate_constraints=False)
    _save(locked, [name for name in diff])
    _record(locked, kind=TimelineKind.FIELD_CHANGE, by=by, data=diff)
    if "priority" in diff:
        _emit(locked, "priority_changed", by=by, old=diff["priority"][0], new=diff["priority"][1])
    _emit(locked, "updated", by=by, fields=sorted(diff))
    _sync(incident, locked)
    return incident


@transaction.atomic
def assign_incident(
    incident: Incident,
    *,
    by: User,
    group: SupportGroup | None,
    assignee: User | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Incident:
    """Assign to a group and optionally one of its agents.

    Moving to another group is a functional escalation and counts as a reassignment (the first
    assignment does not).
    """
    locked = _lock(incident, expected_version)
    if locked.state in (State.CLOSED, State.CANCELLED):
        raise ValidationError({"state": _("A closed or cancelled incident cannot be reassigned.")})
    _validate_assignee(group, assignee)
    old_group, old_assignee = locked.assignment_group, locked.assigned_to
    if old_group == group and old_assignee == assignee:
        _sync(incident, locked)
        return incident
    fields = ["assignment_group", "assigned_to"]
    functional = old_group is not None and group is not None and old_group != group
    if functional:
        locked.reassignment_count += 1
        fields.append("reassignment_count")
    locked.assignment_group, locked.assigned_to = group, assignee
    if assignee is not None and locked.state == State.NEW:
        locked.state = State.IN_PROGRESS
        fields.append("state")
    _save(locked, fields)
    _record(
        locked,
        kind=TimelineKind.ASSIGNMENT,
        by=by,
        body=note,
        data={
            "assignment_group": [_display(old_group), _display(group)],
            "assigned_to": [_display(old_assignee), _display(assignee)],
            "functional_escalation": functional,
        },
    )
    if "state" in fields:
        _record(locked, kind=TimelineKind.STATE_CHANGE, by=by, data={"state": [State.NEW, State.IN_PROGRESS]})
        _emit(locked, "state_changed", by=by, old=State.NEW, new=State.IN_PROGRESS)
    _emit(locked, "assigned", by=by, functional=functional)
    notifications.incident_assigned(locked, by=by)
    _sync(incident, locked)
    return incident


@transaction.atomic
def escalate_incident(
    incident: Incident, *, by: User, reason: str, expected_version: int | None = None
) -> Incident:
    """Hierarchical escalation: raise the escalation level and tell the group's manager."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the incident is escalated.")})
    locked = _lock(incident, expected_version)
    if not locked.is_open:
        raise ValidationError({"state": _("Only open incidents can be escalated.")})
    if locked.escalation_level >= 3:
        raise ValidationError(
            {"escalation_level": _("The incident is already at the highest escalation level.")}
        )
    old = locked.escalation_level
    locked.escalation_level += 1
    _save(locked, ["escalation_level"])
    _record(
        locked,
        kind=TimelineKind.ESCALATION,
        by=by,
        body=reason,
        data={"escalation_level": [old, locked.escalation_level], "hierarchical": True},
    )
    _emit(locked, "escalated", by=by, level=locked.escalation_level)
    notifications.incident_escalated(locked, by=by, reason=reason)
    _sync(incident, locked)
    return incident


@transaction.atomic
def transition_incident(
    incident: Incident,
    *,
    by: User,
    state: str,
    hold_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    comment: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Move the incident to ``state`` if the transition table allows it (with its required fields)."""
    locked = _lock(incident, expected_version)
    old_state = locked.state
    errors = transition_errors(
        old_state,
        state,
        {
            "hold_reason": hold_reason,
            "resolution_code": resolution_code,
            "resolution_notes": resolution_notes,
        },
    )
    if errors:
        raise ValidationError(errors)
    if locked.major_state == MajorState.ACCEPTED and state in (State.RESOLVED, State.CANCELLED):
        # Whoever conducts the major incident ends it (incidents.major_rules), by any path.
        from incidents.major import require_conduct_of  # the major procedure imports this module

        require_conduct_of(locked, by, "resolve")
    now = timezone.now()
    fields = ["state", "hold_reason"]
    locked.state = state
    locked.hold_reason = hold_reason if state == State.ON_HOLD else ""
    if state == State.RESOLVED:
        locked.resolution_code, locked.resolution_notes = resolution_code, resolution_notes
        locked.resolved_at, locked.resolved_by = now, by
        fields += ["resolution_code", "resolution_notes", "resolved_at", "resolved_by"]
    elif state == State.CANCELLED:
        locked.resolution_notes = resolution_notes
        locked.closed_at = now
        fields += ["resolution_notes", "closed_at"]
    elif state == State.CLOSED:
        locked.closed_at = now
        fields.append("closed_at")
    elif old_state == State.RESOLVED and state == State.IN_PROGRESS:
        locked.reopen_count += 1
        locked.last_reopened_at = now
        locked.resolved_at, locked.resolved_by = None, None
        locked.resolution_code, locked.resolution_notes = "", ""
        fields += [
            "reopen_count",
            "last_reopened_at",
            "resolved_at",
            "resolved_by",
            "resolution_code",
            "resolution_notes",
        ]
    if locked.major_state == MajorState.ACCEPTED and state == State.RESOLVED:
        locked.major_state = MajorState.RESOLVED
        fields.append("major_state")
    _save(locked, fields)
    data = {"state": [old_state, state]}
    if hold_reason and state == State.ON_HOLD:
        data["hold_reason"] = hold_reason
    if state == State.RESOLVED:
        data["resolution_code"] = resolution_code
    body = resolution_notes if state in (State.RESOLVED, State.CANCELLED) else comment
    _record(
        locked,
        kind=TimelineKind.STATE_CHANGE,
        by=by,
        body=body,
        data=data,
        public=state in (State.RESOLVED, State.CLOSED, State.CANCELLED) or (old_state == State.RESOLVED),
    )
    reopened = old_state == State.RESOLVED and state == State.IN_PROGRESS
    _emit(locked, "state_changed", by=by, old=old_state, new=state, reopened=reopened)
    if reopened:
        _emit(locked, "reopened", by=by)
    notifications.incident_state_changed(locked, by=by, old_state=old_state, comment=comment)
    _sync(incident, locked)
    return incident


def resolve_incident(
    incident: Incident,
    *,
    by: User,
    resolution_code: str,
    resolution_notes: str,
    expected_version: int | None = None,
) -> Incident:
    return transition_incident(
        incident,
        by=by,
        state=State.RESOLVED,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
        expected_version=expected_version,
    )


def put_on_hold(
    incident: Incident, *, by: User, hold_reason: str, comment: str = "", expected_version: int | None = None
) -> Incident:
    if hold_reason == HoldReason.AWAITING_CALLER and not comment.strip():
        # The caller must be told what is awaited of them (ServiceNow makes this mandatory too).
        raise ValidationError({"comment": _("Tell the caller what you are waiting for.")})
    with transaction.atomic():
        transition_incident(
            incident, by=by, state=State.ON_HOLD, hold_reason=hold_reason, expected_version=expected_version
        )
        if comment.strip():
            add_comment(incident, by=by, body=comment, public=hold_reason == HoldReason.AWAITING_CALLER)
    return incident


def close_incident(incident: Incident, *, by: User, expected_version: int | None = None) -> Incident:
    return transition_incident(incident, by=by, state=State.CLOSED, expected_version=expected_version)


def cancel_incident(
    incident: Incident, *, by: User, reason: str, expected_version: int | None = None
) -> Incident:
    return transition_incident(
        incident, by=by, state=State.CANCELLED, resolution_notes=reason, expected_version=expected_version
    )


@transaction.atomic
def reopen_incident(
    incident: Incident, *, by: User, reason: str, expected_version: int | None = None
) -> Incident:
    """Reopen a resolved incident (the caller rejected the resolution, or an agent reopens it)."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the incident is reopened.")})
    transition_incident(
        incident, by=by, state=State.IN_PROGRESS, comment=reason, expected_version=expected_version
    )
    add_comment(incident, by=by, body=reason, public=True)
    return incident


def _require_caller_or_agent(incident: Incident, by: User, message: str) -> None:
    # Colleagues of a shared organisation may follow the ticket, but only its caller (or an agent
    # on the caller's behalf) decides on the resolution: here, so that the portal, the API and
    # any e-mailed link share the rule.
    if by.pk != incident.caller_id and not is_agent(by):
        raise PermissionDenied(message)


def accept_resolution(incident: Incident, *, by: User) -> Incident:
    """The caller confirms the resolution: the incident closes now instead of after N days."""
    _require_caller_or_agent(incident, by, _("Only the caller can accept the resolution."))
    if incident.state != State.RESOLVED:
        raise ValidationError({"state": _("Only a resolved incident can be accepted.")})
    return close_incident(incident, by=by)


def reject_resolution(incident: Incident, *, by: User, reason: str) -> Incident:
    """The caller rejects the resolution: the incident is reopened with the reason."""
    _require_caller_or_agent(incident, by, _("Only the caller can reject the resolution."))
    if incident.state != State.RESOLVED:
        raise ValidationError({"state": _("Only a resolved incident can be rejected.")})
    return reopen_incident(incident, by=by, reason=reason)


@transaction.atomic
def add_comment(incident: Incident, *, by: User, body: str, public: bool) -> IncidentTimelineEntry:
    """A public comment (the caller sees it) or an internal work note.

    A caller's comment on an incident on hold awaiting the caller puts it back in progress. The
    first public comment by an agent is the first response (SLA response target).
    """
    if not body or not body.strip():
        raise ValidationError({"body": _("The comment is empty.")})
    agent = is_agent(by)
    if not agent and not public:
        raise ValidationError({"internal": _("Only agents can write internal work notes.")})
    locked = _lock(incident, None)
    if locked.state in (State.CLOSED, State.CANCELLED) and not agent:
        raise ValidationError({"state": _("This incident is closed. Report a new incident instead.")})
    entry = _record(
        locked,
        kind=TimelineKind.COMMENT if public else TimelineKind.WORK_NOTE,
        by=by,
        body=body.strip(),
        public=public,
    )
    fields = []
    if public and agent and by.pk != locked.caller_id and locked.first_response_at is None:
        locked.first_response_at = entry.created_at
        fields.append("first_response_at")
    _save(locked, fields)
    if public and agent and "first_response_at" in fields:
        _emit(locked, "first_response", by=by)
    if public:
        _emit(locked, "public_comment", by=by, agent=agent)
    if not agent and locked.state == State.ON_HOLD and locked.hold_reason == HoldReason.AWAITING_CALLER:
        transition_incident(locked, by=by, state=State.IN_PROGRESS, comment=_("The caller replied."))
    notifications.comment_added(locked, entry)
    _sync(incident, locked)
    return entry


def validate_upload(filename: str, size: int) -> None:
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if suffix not in {s.lower() for s in settings.ATTACHMENT_ALLOWED_TYPES}:
        raise ValidationError(
            {
                "file": _("Files of type “%(type)s” are not allowed. Allowed: %(allowed)s.")
                % {"type": suffix or "?", "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_TYPES)}
            }
        )
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(max)s MB.")
                % {"max": round(settings.ATTACHMENT_MAX_BYTES / 1024 / 1024, 1)}
            }
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})


@transaction.atomic
def add_attachment(
    incident: Incident,
    *,
    by: User,
    upload,
    public: bool = True,
    timeline_entry: IncidentTimelineEntry | None = None,
) -> Attachment:
    """Attach an uploaded file after checking its size and type."""
    filename = upload.name.rsplit("/", 1)[-1][:255]
    validate_upload(filename, upload.size)
    agent = is_agent(by)
    if not agent:
        public = True
    locked = _lock(incident, None)
    if locked.state in (State.CLOSED, State.CANCELLED) and not agent:
        raise ValidationError({"state": _("This incident is closed. Report a new incident instead.")})
    attachment = Attachment.objects.create(
        incident=locked,
        timeline_entry=timeline_entry,
        file=upload,
        filename=filename,
        content_type=Attachment.guess_type(filename),
        size=upload.size,
        is_public=public,
        uploaded_by=by,
    )
    _record(
        locked,
        kind=TimelineKind.ATTACHMENT,
        by=by,
        public=public,
        data={"filename": filename, "size": upload.size, "attachment": attachment.pk},
    )
    # A new file is a change like a comment: bump the version so that ETags and stale-edit checks
    # see it, and updated_at stays consistent with the version.
    _save(locked, [])
    _sync(incident, locked)
    return attachment


@transaction.atomic
def rate_resolution(incident: Incident, *, by: User, score: int, comment: str = "") -> Incident:
    """The caller's satisfaction with the resolution, 1 to 5 (once resolved or closed)."""
    if by.pk != incident.caller_id:
        # Enforced here so the UI, the API and any other entry point share the rule.
        raise PermissionDenied(_("Only the caller can rate the resolution."))
    if incident.state not in (State.RESOLVED, State.CLOSED):
        raise ValidationError({"state": _("You can rate an incident once it is resolved.")})
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError({"score": _("The rating must be between 1 and 5.")})
    locked = _lock(incident, None)
    locked.satisfaction, locked.satisfaction_comment = score, comment.strip()
    _save(locked, ["satisfaction", "satisfaction_comment"])
    _record(locked, kind=TimelineKind.RATING, by=by, body=comment.strip(), public=True, data={"score": score})
    _sync(incident, locked)
    return incident


MAX_PARENT_DEPTH = 50


@transaction.atomic
def link_parent(incident: Incident, *, by: User, parent: Incident | None) -> Incident:
    if parent is not None:
        # Walk up from the new parent: meeting the incident anywhere above it would make a cycle
        # (A -> B -> C -> A), not only when the parent is its direct child.
        node, depth = parent, 0
        while node is not None and depth <= MAX_PARENT_DEPTH:
            if node.pk == incident.pk:
                raise ValidationError({"parent": _("That would make a cycle of parent incidents.")})
            node = Incident.objects.filter(pk=node.parent_id).first() if node.parent_id else None
            depth += 1
    update_incident(incident, by=by, changes={"parent": parent})
    if parent is not None:
        _record(parent, kind=TimelineKind.LINK, by=by, data={"child": incident.number})
    return incident


def auto_close_due(*, now=None, days: int | None = None, limit: int = 1000) -> list[str]:
    """Close incidents resolved more than ``days`` days ago (never major incidents). Idempotent."""
    days = settings.INCIDENT_AUTO_CLOSE_DAYS if days is None else days
    if days <= 0:
        return []
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(days=days)
    system = system_user()
    closed = []
    # One incident that cannot be closed (say a receiver fails) must not stall the sweep for all
    # the others: its savepoint rolls back, it is logged, recorded and set aside for a back-off
    # (core.sweeps) so that it does not come first in every batch.
    guard = sweeps.RowGuard("incidents.auto_close", "incidents.Incident")
    candidates = guard.exclude(
        Incident.objects.filter(state=State.RESOLVED, resolved_at__lte=cutoff).exclude(
            major_state__in=[MajorState.ACCEPTED, MajorState.RESOLVED]
        )
    ).values_list("pk", flat=True)[:limit]
    for pk in candidates:
        with guard.row(pk):
            # Re-check the cutoff under the lock: the incident may have been reopened and
            # resolved again since the candidates were read, which restarts its clock.
            incident = (
                Incident.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=State.RESOLVED, resolved_at__lte=cutoff)
                .first()
            )
            if incident is not None:
                transition_incident(
                    incident,
                    by=system,
                    state=State.CLOSED,
                    comment=_("Closed automatically %(days)s days after resolution.") % {"days": days},
                )
                closed.append(incident.number)
    guard.finish()
    return closed


def system_user() -> User:
    """The account that automatic actions are recorded under."""
    user, _created = User.objects.get_or_create(
        username="system", defaults={"first_name": "System", "is_active": False, "email": ""}
    )
    return user
