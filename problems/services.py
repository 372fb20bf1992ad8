"""Domain operations of problem management: the only code that changes a problem.

Every function is atomic, takes the acting user as keyword-only ``by``, writes timeline entries
(on the problem and, for links and cascades, on the incident) and outbox rows, and bumps the
version for optimistic concurrency. Incidents are only ever changed through
``incidents.services`` (resolve, hold, resume, comment), so their own rules, timeline and
notifications apply. Views, the API, admin actions and tasks call these functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.choices import TimelineKind
from core.models import Category, SupportGroup, User
from core.numbering import next_number
from core.roles import is_agent
from incidents import services as incident_services
from incidents.choices import HoldReason
from incidents.choices import ResolutionCode as IncidentResolutionCode
from incidents.choices import State as IncidentState
from incidents.models import Incident, IncidentTimelineEntry
from problems import known_errors, notify, trends
from problems.choices import (
    OPEN_STATES,
    TERMINAL_STATES,
    Audience,
    CandidateStatus,
    GroupKind,
    State,
    TaskCloseCode,
    TaskState,
    TaskType,
)
from problems.models import (
    Problem,
    ProblemCandidate,
    ProblemIncident,
    ProblemTask,
    ProblemTimelineEntry,
    TrendSettings,
)
from problems.roles import is_problem_manager
from problems.rules import task_transition_errors, transition_errors


class StaleProblemError(Exception):
    """The problem changed since the client read it (optimistic concurrency)."""

    def __init__(self, problem: Problem, expected_version: int):
        self.problem = problem
        self.expected_version = expected_version
        super().__init__(
            _(
                "%(number)s was changed by someone else (version %(current)s, you edited version "
                "%(expected)s). Reload it and apply your change again."
            )
            % {"number": problem.number, "current": problem.version, "expected": expected_version}
        )


# Fields an agent may edit directly; state, assignment and known error have their own operations.
EDITABLE_FIELDS = (
    "short_description",
    "description",
    "service",
    "category",
    "configuration_item",
    "impact",
    "urgency",
    "root_cause",
    "workaround",
    "fix_description",
    "symptoms",
)
# Changing these on a known error updates its knowledge article.
KNOWN_ERROR_FIELDS = ("short_description", "symptoms", "workaround", "root_cause", "category", "service")

OPEN_INCIDENT_STATES = (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)


# --- helpers -------------------------------------------------------------------------------------


def _display(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _record(
    problem: Problem,
    *,
    kind: str,
    by: User | None,
    body: str = "",
    public: bool = False,
    data: dict | None = None,
) -> ProblemTimelineEntry:
    return ProblemTimelineEntry.objects.create(
        ticket=problem,
        kind=kind,
        author=by,
        body=body,
        is_public=public,
        data=data or {},
        created_at=timezone.now(),
    )


def _lock(problem: Problem, expected_version: int | None = None) -> Problem:
    """Re-read the row under a lock and check the version the caller based its edit on."""
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleProblemError(locked, expected_version)
    return locked


def _save(problem: Problem, fields: Iterable[str]) -> None:
    problem.version += 1
    problem.updated_at = timezone.now()
    problem.save(update_fields=sorted({*fields, "version", "updated_at"}))


def _sync(target: Problem, source: Problem) -> None:
    """Copy the locked row's values back into the caller's object so it stays current."""
    for model_field in source._meta.concrete_fields:
        setattr(target, model_field.attname, getattr(source, model_field.attname))


def _require_agent(user: User) -> None:
    if not is_agent(user):
        raise PermissionDenied(_("Problems are worked by agents only."))


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


def _priority(impact: int, urgency: int) -> int:
    try:
        return incident_services.compute_priority(impact, urgency)
    except ValueError as exc:
        raise ValidationError({"impact" if "impact" in str(exc) else "urgency": str(exc)}) from None


def _incident_note(incident: Incident, *, by: User, data: dict, body: str = "") -> IncidentTimelineEntry:
    """An internal link entry on the incident's timeline (callers never see problem work)."""
    return IncidentTimelineEntry(
        ticket=incident, kind=TimelineKind.LINK, author=by, body=body, is_public=False, data=data
    )


# --- creating and editing ------------------------------------------------------------------------


@transaction.atomic
def create_problem(
    *,
    by: User,
    short_description: str,
    description: str = "",
    service=None,
    category: Category | None = None,
    configuration_item: str = "",
    impact: int = 3,
    urgency: int = 3,
    assignment_group: SupportGroup | None = None,
    assigned_to: User | None = None,
    root_cause: str = "",
    workaround: str = "",
    symptoms: str = "",
    fix_description: str = "",
    incidents: Sequence[Incident] = (),
    origin: dict | None = None,
) -> Problem:
    """Register a problem (number, priority, timeline), optionally with its first incidents."""
    _require_agent(by)
    if not short_description or not short_description.strip():
        raise ValidationError({"short_description": _("A short description is required.")})
    _validate_assignee(assignment_group, assigned_to)
    now = timezone.now()
    problem = Problem(
        number=next_number("PRB"),
        short_description=short_description.strip(),
        description=description,
        opened_by=by,
        service=service,
        category=category,
        configuration_item=(configuration_item or "").strip(),
        impact=impact,
        urgency=urgency,
        priority=_priority(impact, urgency),
        assignment_group=assignment_group,
        assigned_to=assigned_to,
        root_cause=root_cause,
        workaround=workaround,
        symptoms=symptoms,
        fix_description=fix_description,
        state=State.ASSESS if assigned_to is not None else State.NEW,
        created_at=now,
        updated_at=now,
    )
    problem.full_clean(exclude=["number", "opened_by"])
    problem.save()
    _record(problem, kind=TimelineKind.CREATED, by=by, data={"priority": problem.priority, **(origin or {})})
    if problem.assignment_group_id:
        notify.problem_assigned(problem, by=by)
    if incidents:
        link_incidents(problem, by=by, incidents=incidents)
        problem.refresh_from_db()
    return problem


@transaction.atomic
def update_problem(
    problem: Problem, *, by: User, changes: dict[str, Any], expected_version: int | None = None
) -> Problem:
    """Edit descriptive fields; impact/urgency recompute the priority. One timeline entry.

    A known error's knowledge article is updated in the same transaction when its symptoms,
    workaround or title change.
    """
    _require_agent(by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    locked = _lock(problem, expected_version)
    if locked.state in TERMINAL_STATES:
        raise ValidationError({"state": _("A closed or cancelled problem cannot be edited.")})
    diff = {}
    for name, value in changes.items():
        if isinstance(value, str) and name != "description":
            value = value.strip() if name in ("short_description", "configuration_item") else value
        old = getattr(locked, name)
        if old != value:
            diff[name] = [_display(old), _display(value)]
            setattr(locked, name, value)
    if "short_description" in diff and not locked.short_description:
        raise ValidationError({"short_description": _("A short description is required.")})
    if "impact" in diff or "urgency" in diff:
        new_priority = _priority(locked.impact, locked.urgency)
        if new_priority != locked.priority:
            diff["priority"] = [locked.priority, new_priority]
            locked.priority = new_priority
    if not diff:
        _sync(problem, locked)
        return problem
    if locked.known_error and "workaround" in diff and not locked.workaround.strip():
        raise ValidationError(
            {
                "workaround": _(
                    "A known error needs its workaround. Withdraw the known error before removing it."
                )
            }
        )
    locked.full_clean(exclude=["number", "opened_by"])
    _save(locked, list(diff))
    _record(locked, kind=TimelineKind.FIELD_CHANGE, by=by, data=diff)
    if locked.known_error and set(diff) & set(KNOWN_ERROR_FIELDS):
        _publish(locked, by=by, reason="updated")
    _sync(problem, locked)
    return problem


@transaction.atomic
def assign_problem(
    problem: Problem,
    *,
    by: User,
    group: SupportGroup | None,
    assignee: User | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Problem:
    """Assign to a group and optionally one of its agents; a new problem moves on to "assess"."""
    _require_agent(by)
    locked = _lock(problem, expected_version)
    if locked.state in TERMINAL_STATES:
        raise ValidationError({"state": _("A closed or cancelled problem cannot be reassigned.")})
    _validate_assignee(group, assignee)
    old_group, old_assignee = locked.assignment_group, locked.assigned_to
    if old_group == group and old_assignee == assignee:
        _sync(problem, locked)
        return problem
    fields = ["assignment_group", "assigned_to"]
    locked.assignment_group, locked.assigned_to = group, assignee
    started = assignee is not None and locked.state == State.NEW
    if started:
        locked.state = State.ASSESS
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
        },
    )
    if started:
        _record(locked, kind=TimelineKind.STATE_CHANGE, by=by, data={"state": [State.NEW, State.ASSESS]})
    notify.problem_assigned(locked, by=by)
    _sync(problem, locked)
    return problem


@transaction.atomic
def add_note(
    problem: Problem, *, by: User, body: str, kind: str = TimelineKind.WORK_NOTE
) -> ProblemTimelineEntry:
    """A comment or a work note on the problem. Both stay internal: problems are agents' work."""
    _require_agent(by)
    if kind not in (TimelineKind.COMMENT, TimelineKind.WORK_NOTE):
        raise ValidationError({"kind": _("Choose a comment or a work note.")})
    if not body or not body.strip():
        raise ValidationError({"body": _("The note is empty.")})
    locked = _lock(problem)
    entry = _record(locked, kind=kind, by=by, body=body.strip(), public=kind == TimelineKind.COMMENT)
    _save(locked, [])
    _sync(problem, locked)
    return entry


# --- states --------------------------------------------------------------------------------------


def _resume_awaiting(problem: Problem, *, by: User, reason: str) -> list[str]:
    """Incidents on hold awaiting this problem go back to in progress (through incident services)."""
    resumed = []
    waiting = Incident.objects.filter(
        problem_link__problem=problem, state=IncidentState.ON_HOLD, hold_reason=HoldReason.AWAITING_PROBLEM
    ).order_by("pk")
    for incident in waiting:
        incident_services.transition_incident(
            incident, by=by, state=IncidentState.IN_PROGRESS, comment=reason
        )
        resumed.append(incident.number)
    return resumed


def _cancel_open_tasks(problem: Problem, *, by: User) -> list[str]:
    now = timezone.now()
    tasks = list(problem.tasks.exclude(state=TaskState.CLOSED).order_by("pk"))
    for task in tasks:
        task.state, task.close_code, task.closed_at, task.closed_by, task.updated_at = (
            TaskState.CLOSED,
            TaskCloseCode.CANCELLED,
            now,
            by,
            now,
        )
        task.save(update_fields=["state", "close_code", "closed_at", "closed_by", "updated_at"])
    return [task.number for task in tasks]


@transaction.atomic
def transition_problem(
    problem: Problem,
    *,
    by: User,
    state: str,
    resolution_code: str = "",
    fix_description: str = "",
    reason: str = "",
    comment: str = "",
    expected_version: int | None = None,
) -> Problem:
    """Move the problem to ``state`` if the transition table allows it (with its required fields).

    Closing or cancelling cancels the problem's open tasks. Cancelling (and resolving, see
    ``resolve_problem``) puts incidents on hold awaiting the problem back in progress.
    """
    _require_agent(by)
    locked = _lock(problem, expected_version)
    old_state = locked.state
    fix_description = (fix_description or "").strip() or locked.fix_description
    errors = transition_errors(
        old_state,
        state,
        {
            "root_cause": locked.root_cause,
            "workaround": locked.workaround,
            "resolution_code": resolution_code,
            "fix_description": fix_description,
            "resolution_notes": reason,
        },
        is_manager=is_problem_manager(by),
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    fields = ["state"]
    locked.state = state
    data: dict[str, Any] = {"state": [old_state, state]}
    body = comment
    if state == State.RESOLVED:
        locked.resolution_code, locked.fix_description = resolution_code, fix_description
        locked.resolved_at, locked.resolved_by = now, by
        fields += ["resolution_code", "fix_description", "resolved_at", "resolved_by"]
        data["resolution_code"] = resolution_code
        body = fix_description
    elif state == State.CANCELLED:
        locked.resolution_notes, locked.closed_at = reason.strip(), now
        fields += ["resolution_notes", "closed_at"]
        body = reason.strip()
    elif state == State.CLOSED:
        locked.closed_at = now
        fields.append("closed_at")
    elif old_state == State.CLOSED:  # re-analyze
        locked.resolved_at, locked.resolved_by, locked.closed_at, locked.resolution_code = (
            None,
            None,
            None,
            "",
        )
        fields += ["resolved_at", "resolved_by", "closed_at", "resolution_code"]
        data["reanalyzed"] = True
    _save(locked, fields)
    if state in (State.CLOSED, State.CANCELLED):
        cancelled = _cancel_open_tasks(locked, by=by)
        if cancelled:
            data["tasks_cancelled"] = cancelled
    if state == State.CANCELLED:
        resumed = _resume_awaiting(
            locked, by=by, reason=_("Problem %(number)s was cancelled.") % {"number": locked.number}
        )
        if resumed:
            data["incidents_resumed"] = resumed
    _record(locked, kind=TimelineKind.STATE_CHANGE, by=by, body=body, data=data)
    if state == State.RESOLVED and locked.known_error:
        # The known error article now tells its readers about the permanent fix.
        _publish(locked, by=by, reason="updated")
    _sync(problem, locked)
    return problem


@dataclass
class Resolution:
    problem: Problem
    resolved: list[str] = field(default_factory=list)  # incidents resolved by the cascade
    resumed: list[str] = field(default_factory=list)  # incidents taken off hold


def cascade_preview(problem: Problem) -> dict[str, list[Incident]]:
    """What resolving would do to the linked incidents: resolve the open ones, or resume those waiting."""
    incidents = list(
        Incident.objects.filter(problem_link__problem=problem, state__in=OPEN_INCIDENT_STATES)
        .select_related("caller")
        .order_by("pk")
    )
    waiting = [
        i
        for i in incidents
        if i.state == IncidentState.ON_HOLD and i.hold_reason == HoldReason.AWAITING_PROBLEM
    ]
    return {"open": incidents, "waiting": waiting}


@transaction.atomic
def resolve_problem(
    problem: Problem,
    *,
    by: User,
    resolution_code: str,
    fix_description: str,
    resolve_incidents: bool,
    expected_version: int | None = None,
) -> Resolution:
    """Resolve the problem and, in the same transaction, its linked incidents.

    With ``resolve_incidents`` every linked open incident is resolved "resolved by problem" with
    the fix as resolution notes (each caller is notified by the incident's own resolution
    notification, exactly once: its outbox key names the incident's version). Without it, only
    incidents on hold awaiting the problem are taken back to in progress.

    Calling it again on a problem already resolved with the same code does not resolve the problem
    twice; it only applies the cascade to incidents still open (for example linked afterwards).
    """
    _require_agent(by)
    locked = _lock(problem, expected_version)
    if locked.state == State.RESOLVED and resolution_code in ("", locked.resolution_code):
        fix_description = locked.fix_description
    else:
        transition_problem(
            locked,
            by=by,
            state=State.RESOLVED,
            resolution_code=resolution_code,
            fix_description=fix_description,
        )
        fix_description = locked.fix_description
    result = Resolution(problem=locked)
    if resolve_incidents:
        notes = _("Resolved by problem %(number)s: %(fix)s") % {
            "number": locked.number,
            "fix": fix_description,
        }
        for incident in cascade_preview(locked)["open"]:
            incident_services.resolve_incident(
                incident,
                by=by,
                resolution_code=IncidentResolutionCode.RESOLVED_BY_PROBLEM,
                resolution_notes=notes,
            )
            result.resolved.append(incident.number)
    else:
        result.resumed = _resume_awaiting(
            locked, by=by, reason=_("Problem %(number)s was resolved.") % {"number": locked.number}
        )
    if result.resolved or result.resumed:
        _record(
            locked,
            kind=TimelineKind.LINK,
            by=by,
            data={"incidents_resolved": result.resolved, "incidents_resumed": result.resumed},
        )
    notify.problem_resolved(locked, by=by, resolved=result.resolved, resumed=result.resumed)
    _sync(problem, locked)
    result.problem = problem
    return result


def close_problem(
    problem: Problem, *, by: User, comment: str = "", expected_version: int | None = None
) -> Problem:
    return transition_problem(
        problem, by=by, state=State.CLOSED, comment=comment, expected_version=expected_version
    )


def cancel_problem(
    problem: Problem, *, by: User, reason: str, expected_version: int | None = None
) -> Problem:
    return transition_problem(
        problem, by=by, state=State.CANCELLED, reason=reason, expected_version=expected_version
    )


def reanalyze_problem(
    problem: Problem, *, by: User, reason: str, expected_version: int | None = None
) -> Problem:
    """Reopen a closed problem for analysis (problem managers only)."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the problem is analysed again.")})
    return transition_problem(
        problem,
        by=by,
        state=State.ROOT_CAUSE_ANALYSIS,
        comment=reason.strip(),
        expected_version=expected_version,
    )


# --- incident links ------------------------------------------------------------------------------


@dataclass
class LinkResult:
    linked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # number -> why
    held: list[str] = field(default_factory=list)


@transaction.atomic
def link_incidents(
    problem: Problem, *, by: User, incidents: Iterable[Incident], hold: bool = False
) -> LinkResult:
    """Link incidents to the problem (bulk). An incident linked to another problem is refused.

    With ``hold``, linked incidents that are new or in progress go on hold awaiting the problem.
    Each linked incident gets an internal timeline entry; the problem one entry for the batch.
    """
    _require_agent(by)
    locked = _lock(problem)
    if locked.state in TERMINAL_STATES:
        raise ValidationError(
            {
                "incidents": _("%(number)s is closed; reopen it before linking incidents.")
                % {"number": locked.number}
            }
        )
    wanted = {incident.pk: incident for incident in incidents}
    existing = {
        link.incident_id: link
        for link in ProblemIncident.objects.filter(incident_id__in=wanted).select_related("problem")
    }
    result = LinkResult()
    to_link = []
    for pk in sorted(wanted):
        incident = wanted[pk]
        link = existing.get(pk)
        if link is None:
            to_link.append(incident)
        elif link.problem_id == locked.pk:
            result.already.append(incident.number)
        else:
            result.refused[incident.number] = _("already linked to %(problem)s") % {
                "problem": link.problem.number
            }
    if to_link:
        now = timezone.now()
        try:
            with transaction.atomic():
                ProblemIncident.objects.bulk_create(
                    [
                        ProblemIncident(problem=locked, incident=i, linked_by=by, linked_at=now)
                        for i in to_link
                    ]
                )
        except IntegrityError:
            # Someone linked one of them a moment ago: report it rather than failing obscurely.
            raise ValidationError(
                {"incidents": _("One of the incidents was just linked elsewhere. Reload and try again.")}
            ) from None
        IncidentTimelineEntry.objects.bulk_create(
            [
                _incident_note(
                    i,
                    by=by,
                    data={"problem": locked.number, "action": "linked"},
                    body=_("Linked to problem %(number)s.") % {"number": locked.number},
                )
                for i in to_link
            ]
        )
        Incident.objects.filter(pk__in=[i.pk for i in to_link]).update(updated_at=now)
        result.linked = [i.number for i in to_link]
        if hold:
            states = dict(Incident.objects.filter(pk__in=[i.pk for i in to_link]).values_list("pk", "state"))
            for incident in to_link:
                if states[incident.pk] in (IncidentState.NEW, IncidentState.IN_PROGRESS):
                    incident_services.put_on_hold(incident, by=by, hold_reason=HoldReason.AWAITING_PROBLEM)
                    result.held.append(incident.number)
        _save(locked, [])
        data: dict[str, Any] = {"linked": result.linked}
        if result.held:
            data["held"] = result.held
        _record(locked, kind=TimelineKind.LINK, by=by, data=data)
    _sync(problem, locked)
    return result


@transaction.atomic
def unlink_incident(problem: Problem, *, by: User, incident: Incident, reason: str = "") -> None:
    """Remove the link; an incident that was waiting for this problem goes back to in progress."""
    _require_agent(by)
    locked = _lock(problem)
    deleted, _rows = ProblemIncident.objects.filter(problem=locked, incident=incident).delete()
    if not deleted:
        raise ValidationError(
            {
                "incident": _("%(incident)s is not linked to %(problem)s.")
                % {"incident": incident.number, "problem": locked.number}
            }
        )
    _incident_note(
        incident,
        by=by,
        data={"problem": locked.number, "action": "unlinked"},
        body=reason.strip() or _("Unlinked from problem %(number)s.") % {"number": locked.number},
    ).save()
    incident.refresh_from_db(fields=["state", "hold_reason", "version"])
    if incident.state == IncidentState.ON_HOLD and incident.hold_reason == HoldReason.AWAITING_PROBLEM:
        incident_services.transition_incident(
            incident,
            by=by,
            state=IncidentState.IN_PROGRESS,
            comment=_("No longer linked to problem %(number)s.") % {"number": locked.number},
        )
    _save(locked, [])
    _record(locked, kind=TimelineKind.LINK, by=by, body=reason.strip(), data={"unlinked": [incident.number]})
    _sync(problem, locked)


def _workaround_hash(problem: Problem) -> str:
    return hashlib.sha256(problem.workaround.strip().encode()).hexdigest()[:16]


@transaction.atomic
def communicate_workaround(problem: Problem, *, by: User) -> list[str]:
    """Send the workaround to the callers of the linked open incidents, as a public comment on each.

    Idempotent: an incident that already received this exact workaround text is skipped, so a
    double click or a retried request never sends it twice.
    """
    _require_agent(by)
    locked = _lock(problem)
    if not locked.workaround.strip():
        raise ValidationError({"workaround": _("Document the workaround first.")})
    digest = _workaround_hash(locked)
    links = list(
        ProblemIncident.objects.filter(problem=locked, incident__state__in=OPEN_INCIDENT_STATES)
        .exclude(workaround_sent=digest)
        .select_related("incident")
        .order_by("incident_id")
    )
    sent = []
    body = _("A workaround is available (problem %(number)s):\n\n%(workaround)s") % {
        "number": locked.number,
        "workaround": locked.workaround.strip(),
    }
    for link in links:
        incident_services.add_comment(link.incident, by=by, body=body, public=True)
        link.workaround_sent = digest
        sent.append(link.incident.number)
    ProblemIncident.objects.bulk_update(links, ["workaround_sent"])
    if sent:
        _save(locked, [])
        _record(locked, kind=TimelineKind.LINK, by=by, data={"workaround_sent_to": sent})
    _sync(problem, locked)
    return sent


# --- known error ---------------------------------------------------------------------------------


def _publish(problem: Problem, *, by: User, reason: str) -> None:
    """Publish or update the known error article through the knowledge adapter; record the outcome."""
    outcome = known_errors.publish_known_error(problem, by=by, audience=problem.known_error_audience)
    data: dict[str, Any] = {"known_error": reason, "audience": problem.known_error_audience}
    if outcome is not None:
        data.update({"article": outcome.number, "article_action": outcome.action})
        problem.known_error_published_at = timezone.now()
        problem.save(update_fields=["known_error_published_at"])
    _record(problem, kind=TimelineKind.KNOWLEDGE, by=by, data=data)


@transaction.atomic
def mark_known_error(
    problem: Problem,
    *,
    by: User,
    audience: str = Audience.AGENTS,
    symptoms: str | None = None,
    expected_version: int | None = None,
) -> Problem:
    """Mark a problem with a documented workaround as a known error and publish its article.

    Marking it again (another audience, new symptoms) updates the same article.
    """
    _require_agent(by)
    locked = _lock(problem, expected_version)
    if locked.state == State.CANCELLED:
        raise ValidationError({"state": _("A cancelled problem cannot be a known error.")})
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose who may read the article.")})
    if not locked.workaround.strip():
        raise ValidationError({"workaround": _("Document the workaround before marking a known error.")})
    fields = ["known_error", "known_error_audience"]
    first = not locked.known_error
    locked.known_error, locked.known_error_audience = True, audience
    if symptoms is not None:
        locked.symptoms = symptoms.strip()
        fields.append("symptoms")
    if first:
        locked.known_error_at = timezone.now()
        fields.append("known_error_at")
    _save(locked, fields)
    _publish(locked, by=by, reason="marked" if first else "updated")
    _sync(problem, locked)
    return problem


# --- tasks ---------------------------------------------------------------------------------------


def _task_entry(task: ProblemTask, *, by: User, kind: str, body: str = "", **data) -> ProblemTimelineEntry:
    return _record(task.problem, kind=kind, by=by, body=body, data={"task": task.number, **data})


@transaction.atomic
def create_task(
    problem: Problem,
    *,
    by: User,
    short_description: str,
    description: str = "",
    task_type: str = TaskType.GENERAL,
    assignment_group: SupportGroup | None = None,
    assigned_to: User | None = None,
) -> ProblemTask:
    """A task of investigation or fix work on an open problem, optionally assigned at once."""
    _require_agent(by)
    locked = _lock(problem)
    if locked.state not in OPEN_STATES:
        raise ValidationError({"problem": _("Tasks can only be added to an open problem.")})
    if not short_description or not short_description.strip():
        raise ValidationError({"short_description": _("A short description is required.")})
    if task_type not in TaskType.values:
        raise ValidationError({"task_type": _("Unknown task type.")})
    _validate_assignee(assignment_group, assigned_to)
    task = ProblemTask.objects.create(
        number=next_number("PTASK"),
        problem=locked,
        task_type=task_type,
        short_description=short_description.strip(),
        description=description,
        assignment_group=assignment_group,
        assigned_to=assigned_to,
        state=TaskState.IN_PROGRESS if assigned_to is not None else TaskState.OPEN,
        opened_by=by,
    )
    entry = _task_entry(
        task,
        by=by,
        kind=TimelineKind.CREATED,
        body=task.short_description,
        assignment_group=_display(assignment_group),
        assigned_to=_display(assigned_to),
    )
    _save(locked, [])
    if assignment_group is not None:
        notify.task_assigned(task, by=by, event_id=entry.pk)
    return task


@transaction.atomic
def assign_task(
    task: ProblemTask, *, by: User, group: SupportGroup | None, assignee: User | None = None
) -> ProblemTask:
    _require_agent(by)
    task = ProblemTask.objects.select_for_update().select_related("problem").get(pk=task.pk)
    if task.state == TaskState.CLOSED:
        raise ValidationError({"state": _("A closed task cannot be reassigned.")})
    _validate_assignee(group, assignee)
    old_group, old_assignee = task.assignment_group, task.assigned_to
    if (old_group, old_assignee) == (group, assignee):
        return task
    task.assignment_group, task.assigned_to, task.updated_at = group, assignee, timezone.now()
    fields = ["assignment_group", "assigned_to", "updated_at"]
    if assignee is not None and task.state == TaskState.OPEN:
        task.state = TaskState.IN_PROGRESS
        fields.append("state")
    task.save(update_fields=fields)
    entry = _task_entry(
        task,
        by=by,
        kind=TimelineKind.ASSIGNMENT,
        assignment_group=[_display(old_group), _display(group)],
        assigned_to=[_display(old_assignee), _display(assignee)],
    )
    notify.task_assigned(task, by=by, event_id=entry.pk)
    return task


@transaction.atomic
def transition_task(
    task: ProblemTask, *, by: User, state: str, close_code: str = "", close_notes: str = ""
) -> ProblemTask:
    """open ⇄ in progress → closed (complete or cancelled); a closed task can be re-opened."""
    _require_agent(by)
    task = ProblemTask.objects.select_for_update().select_related("problem").get(pk=task.pk)
    errors = task_transition_errors(task.state, state, close_code)
    if errors:
        raise ValidationError(errors)
    if state != TaskState.CLOSED and task.problem.state not in OPEN_STATES:
        raise ValidationError({"state": _("The problem is no longer open; its tasks cannot be reopened.")})
    old = task.state
    now = timezone.now()
    task.state, task.updated_at = state, now
    fields = ["state", "updated_at", "close_code", "close_notes", "closed_at", "closed_by"]
    if state == TaskState.CLOSED:
        task.close_code, task.close_notes, task.closed_at, task.closed_by = (
            close_code,
            close_notes.strip(),
            now,
            by,
        )
    else:
        task.close_code, task.close_notes, task.closed_at, task.closed_by = "", "", None, None
    task.save(update_fields=fields)
    data = {"state": [old, state]}
    if close_code:
        data["close_code"] = close_code
    _task_entry(task, by=by, kind=TimelineKind.STATE_CHANGE, body=close_notes.strip(), **data)
    return task


# --- trend detection -----------------------------------------------------------------------------


@dataclass
class DetectionResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    incidents: int = 0  # incidents compared

    def as_dict(self) -> dict:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "reopened": len(self.reopened),
            "unchanged": len(self.unchanged),
            "incidents": self.incidents,
        }


def _serialise_lock() -> None:
    """Serialise concurrent detections (beat and an on-demand run) on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x50524254])  # "PRBT"


def _match(cluster: trends.Cluster, candidates: list[tuple[ProblemCandidate, set[int]]]):
    """The stored candidate that is this cluster: same fingerprint, shared members, or same topic."""
    for candidate, members in candidates:
        if candidate.fingerprint == cluster.fingerprint:
            return candidate, members
    for candidate, members in candidates:
        if trends.overlap_ratio(cluster.members, members) >= 0.5:
            return candidate, members
    for candidate, members in candidates:
        same_group = (candidate.group_kind, _candidate_key(candidate)) == cluster.group
        if same_group and trends.term_similarity(candidate.terms, cluster.terms) >= 0.5:
            return candidate, members
    return None, set()


def _candidate_key(candidate: ProblemCandidate):
    if candidate.group_kind == GroupKind.SERVICE:
        return candidate.service_id
    if candidate.group_kind == GroupKind.CATEGORY:
        return candidate.category_id
    return trends.normalise_ci(candidate.configuration_item)


@transaction.atomic
def detect_trends(
    *,
    now=None,
    window_days: int | None = None,
    min_size: int | None = None,
    similarity: float | None = None,
) -> DetectionResult:
    """Find clusters of recent incidents without a problem and store them as candidates.

    Idempotent: a cluster already stored is updated (open), left alone (converted, or dismissed
    and not grown), or proposed again (dismissed, and now with more incidents than when it was
    dismissed). Never two candidates for one cluster.
    """
    _serialise_lock()
    config = TrendSettings.current()
    now = now or timezone.now()
    window_days = window_days or config.window_days
    min_size = min_size or config.min_size
    similarity = similarity or config.similarity
    rows = list(
        Incident.objects.filter(
            created_at__gte=now - timezone.timedelta(days=window_days), created_at__lte=now
        )
        .filter(problem_link__isnull=True)
        .exclude(state=IncidentState.CANCELLED)
        .values_list(
            "pk", "short_description", "service_id", "category_id", "configuration_item", "created_at"
        )
    )
    created_at = {row[0]: row[5] for row in rows}
    texts = {row[0]: row[1] for row in rows}
    docs = [trends.Doc(id=r[0], text=r[1], service=r[2], category=r[3], ci=r[4]) for r in rows]
    clusters = trends.find_clusters(docs, min_size=min_size, similarity=similarity)
    result = DetectionResult(incidents=len(docs))
    if not clusters:
        return result

    # Load only candidates that could be these clusters, with their member ids, in two queries.
    clustered = {m for c in clusters for m in c.members}
    through = ProblemCandidate.members.through
    member_rows = through.objects.filter(incident_id__in=clustered).values_list(
        "problemcandidate_id", flat=True
    )
    keys = {kind: [c.key for c in clusters if c.kind == kind] for kind in trends.KIND_ORDER}
    related = (
        Q(id__in=member_rows)
        | Q(fingerprint__in=[c.fingerprint for c in clusters])
        | Q(group_kind=GroupKind.SERVICE, service_id__in=keys["service"])
        | Q(group_kind=GroupKind.CATEGORY, category_id__in=keys["category"])
    )
    if keys["ci"]:
        related |= Q(group_kind=GroupKind.CONFIGURATION_ITEM)
    stored = list(ProblemCandidate.objects.filter(related))
    members_of: dict[int, set[int]] = {c.pk: set() for c in stored}
    for candidate_id, incident_id in through.objects.filter(problemcandidate_id__in=members_of).values_list(
        "problemcandidate_id", "incident_id"
    ):
        members_of[candidate_id].add(incident_id)
    pool = [(c, members_of[c.pk]) for c in sorted(stored, key=lambda c: c.pk)]

    for cluster in clusters:
        candidate, old_members = _match(cluster, pool)
        values = {
            "title": texts[cluster.title_id][:200],
            "terms": cluster.terms,
            "keywords": cluster.words,
            "score": cluster.score,
            "cohesion": cluster.cohesion,
            "member_count": len(cluster.members),
            "first_incident_at": min(created_at[m] for m in cluster.members),
            "last_incident_at": max(created_at[m] for m in cluster.members),
            "last_detected_at": now,
        }
        if candidate is None:
            kind, key = cluster.group
            candidate = ProblemCandidate.objects.create(
                fingerprint=cluster.fingerprint,
                group_kind=kind,
                service_id=key if kind == GroupKind.SERVICE else None,
                category_id=key if kind == GroupKind.CATEGORY else None,
                configuration_item=_ci_label(cluster, docs) if kind == GroupKind.CONFIGURATION_ITEM else "",
                detected_at=now,
                **values,
            )
            candidate.members.set(cluster.members)
            pool.append((candidate, set(cluster.members)))
            result.created.append(candidate.pk)
            continue
        # This cluster is accounted for; another cluster of this run must not claim it again.
        pool = [(c, m) for c, m in pool if c.pk != candidate.pk]
        if candidate.status == CandidateStatus.CONVERTED:
            result.unchanged.append(candidate.pk)
            continue
        if candidate.status == CandidateStatus.DISMISSED:
            if len(cluster.members) <= (candidate.dismissed_member_count or 0):
                result.unchanged.append(candidate.pk)
                continue
            values["status"] = CandidateStatus.OPEN
            result.reopened.append(candidate.pk)
        elif set(cluster.members) == old_members and candidate.score == cluster.score:
            ProblemCandidate.objects.filter(pk=candidate.pk).update(last_detected_at=now)
            result.unchanged.append(candidate.pk)
            continue
        else:
            result.updated.append(candidate.pk)
        ProblemCandidate.objects.filter(pk=candidate.pk).update(**values)
        candidate.members.set(cluster.members)
    return result


def _ci_label(cluster: trends.Cluster, docs: Sequence[trends.Doc]) -> str:
    """The CI as the first member's incident spelled it (the group key is normalised)."""
    first = min(cluster.members)
    for doc in docs:
        if doc.id == first:
            return doc.ci.strip()[:200]
    return str(cluster.key)[:200]


@transaction.atomic
def dismiss_candidate(candidate: ProblemCandidate, *, by: User, reason: str = "") -> ProblemCandidate:
    """Not a problem: the cluster is not proposed again unless it grows."""
    _require_agent(by)
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != CandidateStatus.OPEN:
        raise ValidationError({"status": _("Only an open candidate can be dismissed.")})
    candidate.status = CandidateStatus.DISMISSED
    candidate.dismissed_at, candidate.dismissed_by = timezone.now(), by
    candidate.dismiss_reason = (reason or "").strip()
    candidate.dismissed_member_count = candidate.member_count
    candidate.save(
        update_fields=["status", "dismissed_at", "dismissed_by", "dismiss_reason", "dismissed_member_count"]
    )
    return candidate


@transaction.atomic
def convert_candidate(
    candidate: ProblemCandidate, *, by: User, hold: bool = False, **problem_fields: Any
) -> tuple[Problem, LinkResult]:
    """Open a problem from a candidate; its incidents (those still without a problem) are linked at once.

    ``problem_fields`` are ``create_problem`` arguments; by default the problem takes the
    candidate's title and shared service, category or CI.
    """
    _require_agent(by)
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status == CandidateStatus.CONVERTED:
        raise ValidationError(
            {
                "status": _("A problem was already opened from this candidate: %(number)s.")
                % {"number": candidate.problem}
            }
        )
    defaults = {
        "short_description": candidate.title,
        "service": candidate.service,
        "category": candidate.category,
        "configuration_item": candidate.configuration_item,
        "description": _("Opened from a detected trend of %(count)s similar incidents.")
        % {"count": candidate.member_count},
    }
    fields = {**defaults, **{k: v for k, v in problem_fields.items() if v is not None}}
    problem = create_problem(by=by, origin={"candidate": candidate.pk}, **fields)
    members = list(candidate.members.all().order_by("pk"))
    links = link_incidents(problem, by=by, incidents=members, hold=hold)
    candidate.status, candidate.problem, candidate.converted_at = (
        CandidateStatus.CONVERTED,
        problem,
        timezone.now(),
    )
    candidate.save(update_fields=["status", "problem", "converted_at"])
    problem.refresh_from_db()
    return problem, links


@transaction.atomic
def create_problem_from_review(review, *, by: User) -> Problem:
    """Open a problem from a major incident's post-incident review (one click), idempotently.

    The problem takes the incident's service, category and CI, the review's root-cause notes and
    actions, and links the major incident (unless it is linked to another problem already). The
    review records the problem's number, so a second click returns the same problem.
    """
    from incidents.models import PostIncidentReview

    _require_agent(by)
    review = (
        PostIncidentReview.objects.select_for_update().select_related("major__incident").get(pk=review.pk)
    )
    if review.problem_reference:
        existing = Problem.objects.filter(number=review.problem_reference).first()
        if existing is not None:
            return existing
    incident = review.major.incident
    title = review.major.title or incident.short_description
    parts = [
        _("Opened from the post-incident review of major incident %(number)s.") % {"number": incident.number},
        review.timeline_summary.strip(),
        (_("Actions:") + "\n" + review.actions.strip()) if review.actions.strip() else "",
        (_("Lessons:") + "\n" + review.lessons.strip()) if review.lessons.strip() else "",
    ]
    already_linked = ProblemIncident.objects.filter(incident=incident).exists()
    problem = create_problem(
        by=by,
        short_description=title[:200],
        description="\n\n".join(part for part in parts if part),
        service=incident.service,
        category=incident.category,
        configuration_item=incident.configuration_item,
        impact=incident.impact,
        urgency=incident.urgency,
        root_cause=review.root_cause,
        incidents=() if already_linked else (incident,),
        origin={"major_incident": incident.number},
    )
    review.problem_reference = problem.number
    review.save(update_fields=["problem_reference"])
    return problem
