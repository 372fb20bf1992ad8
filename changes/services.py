"""Domain operations of change enablement.

Every state change of a change request goes through a verb-named function here: atomic, with a
keyword-only ``by=`` actor, writing the timeline entry and the outbox rows in the same
transaction. Views, the API, admin actions and tasks call these functions and never set state
fields themselves. The rules they apply (state table, risk, approval policies, conflicts) are
pure functions in ``changes.rules`` and ``changes.conflicts``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from changes import rules
from changes.choices import (
    ACTIVE_STATES,
    FAILED_OUTCOMES,
    ApprovalPolicy,
    ApprovalState,
    ApprovalStatus,
    ChangeState,
    ChangeType,
    Decision,
    Impact,
    Outcome,
    Risk,
    TemplateStatus,
)
from changes.conflicts import ChangeSpec, Conflict, detect_conflicts, normalize_ci
from changes.models import (
    Approval,
    ApprovalRequirement,
    ApprovalRule,
    ChangeRequest,
    ChangeTemplate,
    ChangeTimelineEntry,
    ConfigurationItem,
    FreezeWindow,
    MaintenanceWindow,
)
from core import roles
from core.choices import TimelineKind
from core.dates import iso
from core.numbering import next_number
from notifications.services import notify

S = ChangeState

# Fields an agent edits directly (through the form or a PATCH), by state. Type only while new
# and before any approval round; the window and plans until implementation starts.
_BASE_FIELDS = {
    "short_description",
    "description",
    "justification",
    "services",
    "configuration_items",
    "assignment_group",
    "implementer",
    "impact",
}
_PLAN_FIELDS = {"planned_start", "planned_end", "implementation_plan", "backout_plan", "test_plan"}
EDITABLE_FIELDS: dict[str, set[str]] = {
    S.NEW: {"change_type", "requester", *_BASE_FIELDS, *_PLAN_FIELDS},
    S.ASSESS: {"requester", *_BASE_FIELDS, *_PLAN_FIELDS},
    S.AUTHORIZE: {*_BASE_FIELDS, "test_plan"},
    S.SCHEDULED: {*_BASE_FIELDS, *_PLAN_FIELDS},
    S.IMPLEMENT: {"description", "assignment_group", "implementer", "test_plan"},
    S.REVIEW: {"description"},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}


class StaleChange(Exception):
    """The change was modified by someone else since the caller read it (version mismatch)."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version


class ApprovalLinkError(Exception):
    """An e-mailed approval link that cannot be used; ``code`` says why."""

    MESSAGES = {
        "invalid": gettext_lazy("This approval link is not valid."),
        "expired": gettext_lazy("This approval link has expired. Decide in the CAB view instead."),
        "wrong_user": gettext_lazy("This approval link was sent to another approver."),
        "used": gettext_lazy("This approval link has already been used or the approval was already decided."),
    }

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code])


# --- Helpers -------------------------------------------------------------------------------------


def _timeline(
    change: ChangeRequest, *, by, kind: str, body: str = "", data: dict | None = None
) -> ChangeTimelineEntry:
    return ChangeTimelineEntry.objects.create(ticket=change, kind=kind, author=by, body=body, data=data or {})


def _save(change: ChangeRequest, fields: Iterable[str]) -> None:
    change.version += 1
    change.save(update_fields=[*set(fields), "version", "updated_at"])


def _lock(change: ChangeRequest) -> ChangeRequest:
    """Re-read the change under a row lock so that concurrent operations serialise."""
    locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    # Keep the caller's object in step: it is what views and serializers render afterwards.
    change.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return change


def _check_version(change: ChangeRequest, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != change.version:
        raise StaleChange(change.version)


def _require_agent(by) -> None:
    if not roles.is_agent(by):
        raise PermissionDenied(_("Only agents work on changes."))


def _check_transition(change: ChangeRequest, to_state: str) -> None:
    from_state = change.state
    if not rules.can_transition(change.change_type, from_state, to_state):
        raise ValidationError(
            {
                "state": _("A %(type)s change cannot go from %(from)s to %(to)s.")
                % {
                    "type": change.get_change_type_display().lower(),
                    "from": S(from_state).label,
                    "to": S(to_state).label,
                }
            },
            code="invalid_transition",
        )


def _set_state(change: ChangeRequest, to_state: str, *, by, note: str = "", data: dict | None = None) -> None:
    _check_transition(change, to_state)
    from_state = change.state
    change.state = to_state
    fields = ["state"]
    if to_state == S.CLOSED:
        change.closed_at = timezone.now()
        fields.append("closed_at")
    _save(change, fields)
    _timeline(
        change,
        by=by,
        kind=TimelineKind.STATE_CHANGE,
        body=note,
        data={"state": [from_state, to_state], **(data or {})},
    )


def local_text(value: datetime | None, tz_name: str) -> str:
    """A datetime as ISO text in the recipient's time zone; the e-mail template formats it in their
    language with ``|when`` (core.dates), and names the zone."""
    if value is None:
        return ""
    try:
        tz = ZoneInfo(tz_name)
    except Exception:
        tz = ZoneInfo(settings.TIME_ZONE)
    return iso(value, tz)


def change_managers():
    from core.models import User

    return User.objects.filter(groups__name=roles.CHANGE_MANAGER, is_active=True).distinct()


def _change_context(change: ChangeRequest, recipient) -> dict:
    tz = getattr(recipient, "time_zone", "") or settings.TIME_ZONE
    return {
        "number": change.number,
        "short_description": change.short_description,
        "change_type": change.change_type,
        "change_type_label": str(change.get_change_type_display()),
        "risk": change.risk,
        "state": change.state,
        "planned_start": local_text(change.planned_start, tz),
        "planned_end": local_text(change.planned_end, tz),
        "time_zone": tz,
        "requester": str(change.requester),
        "url": settings.SITE_URL + change.get_absolute_url(),
    }


def _validate_window(start, end, *, field_prefix: str = "planned") -> None:
    if (start is None) != (end is None):
        missing = f"{field_prefix}_end" if end is None else f"{field_prefix}_start"
        raise ValidationError({missing: _("Give both the start and the end of the window.")})
    if start is not None and end <= start:
        raise ValidationError({f"{field_prefix}_end": _("The end must be after the start.")})


def _set_m2m(change: ChangeRequest, services, configuration_items) -> None:
    if services is not None:
        change.services.set(list(services))
    if configuration_items is not None:
        change.configuration_items.set(ConfigurationItem.for_names(configuration_items))


def parse_ci_text(text: str) -> list[str]:
    """Configuration items typed as text: separated by commas or new lines."""
    return [part.strip() for chunk in (text or "").splitlines() for part in chunk.split(",") if part.strip()]


# --- Conflicts -----------------------------------------------------------------------------------


def find_conflicts(
    change: ChangeRequest | None = None,
    *,
    change_type: str | None = None,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    service_ids: Iterable[int] | None = None,
    ci_names: Iterable[str] | None = None,
) -> list[Conflict]:
    """Conflicts of a change's planned window (or of a candidate window given explicitly):
    freeze windows, maintenance windows of its services and overlapping changes that share a
    service or a configuration item. A constant number of queries."""
    start = planned_start if planned_start is not None else getattr(change, "planned_start", None)
    end = planned_end if planned_end is not None else getattr(change, "planned_end", None)
    if start is None or end is None or end <= start:
        return []
    if change is not None and change.pk:
        spec = replace(change.to_spec(), start=start, end=end)
        if service_ids is not None:
            spec = replace(spec, service_ids=frozenset(service_ids))
        if ci_names is not None:
            items = ConfigurationItem.for_names(ci_names)
            spec = replace(
                spec, cis=frozenset(i.key for i in items), ci_labels={i.key: i.name for i in items}
            )
    else:
        names = [" ".join(n.split()) for n in (ci_names or []) if n.strip()]
        spec = ChangeSpec(
            id=None,
            number="",
            start=start,
            end=end,
            service_ids=frozenset(service_ids or ()),
            cis=frozenset(normalize_ci(n) for n in names),
            ci_labels={normalize_ci(n): n for n in names},
        )
    kind = change_type or (change.change_type if change is not None else ChangeType.NORMAL)
    freezes = [f.to_spec() for f in FreezeWindow.objects.in_window(start, end).prefetch_related("services")]
    maintenance = [
        w.to_spec()
        for w in MaintenanceWindow.objects.filter(
            is_active=True, service_id__in=spec.service_ids
        ).select_related("service")
    ]
    others_qs = (
        ChangeRequest.objects.filter(state__in=ACTIVE_STATES)
        .in_window(start, end)
        .filter(Q(services__in=spec.service_ids) | Q(configuration_items__key__in=spec.cis))
        .distinct()
        .prefetch_related("services", "configuration_items")
    )
    if spec.id is not None:
        others_qs = others_qs.exclude(pk=spec.id)
    others = [other.to_spec() for other in others_qs]
    from slm.models import Service

    names = dict(Service.objects.filter(pk__in=spec.service_ids).values_list("pk", "name"))
    return detect_conflicts(
        spec, change_type=kind, freezes=freezes, maintenance=maintenance, others=others, service_names=names
    )


def blocking_conflicts(change: ChangeRequest, conflicts: list[Conflict] | None = None) -> list[Conflict]:
    """Blocking conflicts not covered by a recorded override of this exact window."""
    found = find_conflicts(change) if conflicts is None else conflicts
    blocking = [c for c in found if c.blocking]
    if blocking and change.override_covers_window():
        return []
    return blocking


def effective_conflicts(change: ChangeRequest, conflicts: list[Conflict]) -> list[Conflict]:
    """Conflicts as they stand: a blocking one that a change manager overrode for this exact
    window no longer blocks (the override itself is on the change)."""
    if not change.override_covers_window():
        return conflicts
    return [replace(c, blocking=False) if c.blocking else c for c in conflicts]


def _raise_if_blocked(change: ChangeRequest) -> None:
    blocking = blocking_conflicts(change)
    if blocking:
        names = ", ".join(sorted({c.freeze_name for c in blocking}))
        raise ValidationError(
            {
                "planned_start": _(
                    "The planned window falls in a freeze window (%(names)s). A change manager must "
                    "override this with a reason before the change can go ahead."
                )
                % {"names": names}
            },
            code="freeze",
        )


@transaction.atomic
def override_schedule(change: ChangeRequest, *, by, reason: str) -> ChangeRequest:
    """A change manager allows this change's current planned window despite a freeze window.

    The override is recorded (who, when, why, which window and which freezes) and applies only
    to that exact window: moving the window needs a new override.
    """
    if not roles.has_role(by, roles.CHANGE_MANAGER):
        raise PermissionDenied(_("Only a change manager can override a freeze window."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"override_reason": _("Give the reason for the override.")})
    _lock(change)
    if not change.is_open:
        raise ValidationError({"state": _("The change is closed.")})
    if not change.has_planned_window:
        raise ValidationError({"planned_start": _("The change has no planned window to override.")})
    conflicts = [c for c in find_conflicts(change) if c.blocking]
    change.schedule_override_reason = reason
    change.schedule_override_by = by
    change.schedule_override_at = timezone.now()
    change.schedule_override_start = change.planned_start
    change.schedule_override_end = change.planned_end
    _save(
        change,
        [
            "schedule_override_reason",
            "schedule_override_by",
            "schedule_override_at",
            "schedule_override_start",
            "schedule_override_end",
        ],
    )
    _timeline(
        change,
        by=by,
        kind=TimelineKind.APPROVAL,
        body=_("Schedule override: %(reason)s") % {"reason": reason},
        data={
            "event": "schedule_override",
            "window": [change.planned_start.isoformat(), change.planned_end.isoformat()],
            "conflicts": [c.to_dict() for c in conflicts],
        },
    )
    return change


# --- Creating and editing ------------------------------------------------------------------------


@transaction.atomic
def create_change(
    *,
    by,
    change_type: str,
    short_description: str,
    requester=None,
    description: str = "",
    justification: str = "",
    services=(),
    configuration_items=(),
    assignment_group=None,
    implementer=None,
    impact: int = Impact.LOW,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    implementation_plan: str = "",
    backout_plan: str = "",
    test_plan: str = "",
) -> ChangeRequest:
    """Register a normal or emergency change in state New (standard ones: see
    :func:`create_from_template`)."""
    _require_agent(by)
    if change_type == ChangeType.STANDARD:
        raise ValidationError({"template": _("Standard changes are opened from an approved template.")})
    if change_type not in ChangeType.values:
        raise ValidationError({"change_type": _("Unknown change type.")})
    if not (short_description or "").strip():
        raise ValidationError({"short_description": _("This field is required.")})
    _validate_window(planned_start, planned_end)
    change = ChangeRequest.objects.create(
        number=next_number("CHG"),
        change_type=change_type,
        short_description=short_description.strip(),
        description=description,
        justification=justification,
        requester=requester or by,
        opened_by=by,
        assignment_group=assignment_group,
        implementer=implementer,
        impact=impact,
        planned_start=planned_start,
        planned_end=planned_end,
        implementation_plan=implementation_plan,
        backout_plan=backout_plan,
        test_plan=test_plan,
    )
    _set_m2m(change, services, configuration_items)
    _timeline(
        change,
        by=by,
        kind=TimelineKind.CREATED,
        body=_("%(type)s change registered.") % {"type": change.get_change_type_display()},
        data={"change_type": change_type},
    )
    return change


@transaction.atomic
def create_from_template(
    template: ChangeTemplate,
    *,
    by,
    requester=None,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    short_description: str = "",
    description: str = "",
    implementer=None,
    assignment_group=None,
    services=None,
    configuration_items=None,
) -> ChangeRequest:
    """Open a pre-approved standard change from a catalog template; it goes straight to
    Scheduled (never through Assess or Authorize). Without a window it starts now and lasts
    the template's default duration."""
    _require_agent(by)
    if not template.is_usable:
        raise ValidationError(
            {"template": _("The template “%(name)s” is not approved.") % {"name": template.name}}
        )
    if planned_start is None and planned_end is not None:
        raise ValidationError({"planned_start": _("Give the planned start too.")})
    if planned_start is None:
        planned_start = timezone.now().replace(second=0, microsecond=0)
    if planned_end is None:
        planned_end = planned_start + template.default_duration
    _validate_window(planned_start, planned_end)
    change = ChangeRequest.objects.create(
        number=next_number("CHG"),
        change_type=ChangeType.STANDARD,
        template=template,
        short_description=(short_description or "").strip() or template.short_description,
        description="\n\n".join(part for part in (template.description, description) if part),
        justification=template.justification,
        requester=requester or by,
        opened_by=by,
        assignment_group=assignment_group or template.assignment_group,
        implementer=implementer,
        impact=template.impact,
        risk=template.risk,
        risk_calculated=template.risk,
        approval_status=ApprovalStatus.NOT_REQUIRED,
        planned_start=planned_start,
        planned_end=planned_end,
        implementation_plan=template.implementation_plan,
        backout_plan=template.backout_plan,
        test_plan=template.test_plan,
    )
    change.services.set(list(services) if services is not None else list(template.services.all()))
    if configuration_items is not None:
        _set_m2m(change, None, configuration_items)
    else:
        change.configuration_items.set(list(template.configuration_items.all()))
    _timeline(
        change,
        by=by,
        kind=TimelineKind.CREATED,
        body=_("Standard change opened from the template “%(name)s” (pre-approved).")
        % {"name": template.name},
        data={"change_type": ChangeType.STANDARD, "template": template.slug},
    )
    _schedule(change, by=by)
    return change


@transaction.atomic
def update_change(
    change: ChangeRequest, *, by, expected_version: int | None = None, **fields
) -> ChangeRequest:
    """Edit the fields the change's state allows; records each change on the timeline.

    ``services`` are Service objects, ``configuration_items`` names. A stale
    ``expected_version`` raises :class:`StaleChange` (the API answers 412).
    """
    _require_agent(by)
    _lock(change)
    _check_version(change, expected_version)
    allowed = EDITABLE_FIELDS[change.state]
    refused = sorted(set(fields) - allowed)
    if refused:
        raise ValidationError(
            {
                name: _("Cannot be changed while the change is %(state)s.")
                % {"state": change.get_state_display()}
                for name in refused
            }
        )
    if "change_type" in fields:
        new_type = fields["change_type"]
        if new_type == ChangeType.STANDARD and change.change_type != ChangeType.STANDARD:
            raise ValidationError(
                {"change_type": _("Standard changes are opened from an approved template.")}
            )
        if change.change_type == ChangeType.STANDARD and new_type != ChangeType.STANDARD:
            raise ValidationError({"change_type": _("A standard change keeps its type.")})
        if change.approval_round:
            raise ValidationError({"change_type": _("The type cannot change once approval was requested.")})
    if "short_description" in fields and not (fields["short_description"] or "").strip():
        raise ValidationError({"short_description": _("This field is required.")})
    start = fields.get("planned_start", change.planned_start)
    end = fields.get("planned_end", change.planned_end)
    _validate_window(start, end)
    if change.state == S.SCHEDULED and (start is None or end is None):
        raise ValidationError({"planned_start": _("A scheduled change needs its planned window.")})

    diff: dict[str, list] = {}
    scalar = []
    for name, value in fields.items():
        if name in ("services", "configuration_items"):
            continue
        old = getattr(change, name)
        if old != value:
            diff[name] = [_jsonable(old), _jsonable(value)]
            setattr(change, name, value)
            scalar.append(name)
    if "services" in fields:
        old_ids = sorted(change.services.values_list("pk", flat=True))
        new = list(fields["services"] or [])
        if sorted(s.pk for s in new) != old_ids:
            diff["services"] = [old_ids, sorted(s.pk for s in new)]
            change.services.set(new)
    if "configuration_items" in fields:
        old_names = sorted(change.configuration_items.values_list("name", flat=True))
        items = ConfigurationItem.for_names(fields["configuration_items"] or [])
        if sorted(i.name for i in items) != old_names:
            diff["configuration_items"] = [old_names, sorted(i.name for i in items)]
            change.configuration_items.set(items)
    if not diff:
        return change
    # Moving a scheduled normal change into a freeze window is as blocked as scheduling it there.
    if change.state in (S.AUTHORIZE, S.SCHEDULED) and change.change_type == ChangeType.NORMAL:
        _raise_if_blocked(change)
    if scalar:
        _save(change, scalar)
    else:
        _save(change, [])
    _timeline(change, by=by, kind=TimelineKind.FIELD_CHANGE, data=diff)
    return change


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def delete_draft(change: ChangeRequest, *, by) -> None:
    """Delete a change that never left New and never asked for approval (a draft). Anything
    further along is history and is cancelled instead."""
    _require_agent(by)
    _lock(change)
    if change.state != S.NEW or change.approval_round or change.template_id:
        raise ValidationError({"state": _("Only a draft in New can be deleted; cancel the change instead.")})
    if (
        by.pk != change.requester_id
        and by.pk != change.opened_by_id
        and not roles.has_role(by, roles.CHANGE_MANAGER)
    ):
        raise PermissionDenied(_("Only the requester or a change manager can delete a draft."))
    change.delete()


@transaction.atomic
def add_work_note(change: ChangeRequest, *, by, body: str) -> ChangeTimelineEntry:
    _require_agent(by)
    if not (body or "").strip():
        raise ValidationError({"body": _("Write the note.")})
    return _timeline(change, by=by, kind=TimelineKind.WORK_NOTE, body=body.strip())


# --- Risk ----------------------------------------------------------------------------------------


@transaction.atomic
def assess_risk(
    change: ChangeRequest, *, by, answers: dict, override_risk: str = "", override_reason: str = ""
) -> ChangeRequest:
    """Record the risk questionnaire; the calculated risk applies unless the assessor overrides
    it with a reason. Only before approval is requested (approvers decide on a known risk)."""
    _require_agent(by)
    _lock(change)
    if change.change_type == ChangeType.STANDARD:
        raise ValidationError({"risk": _("A standard change carries its template's risk.")})
    if change.state not in (S.NEW, S.ASSESS):
        raise ValidationError({"risk": _("The risk can only be assessed before approval is requested.")})
    clean = {question: answers.get(question, "") for question in rules.RISK_QUESTIONS}
    try:
        calculated = rules.calculate_risk(clean)
    except rules.RiskAnswersError as exc:
        raise ValidationError({question: _("Choose an answer.") for question in exc.errors})
    override_reason = (override_reason or "").strip()
    if override_risk and override_risk not in Risk.values:
        raise ValidationError({"override_risk": _("Unknown risk.")})
    if override_risk and override_risk != calculated:
        if not override_reason:
            raise ValidationError(
                {"override_reason": _("Give the reason for overriding the calculated risk.")}
            )
        final = override_risk
    else:
        final, override_reason = calculated, ""
    old = change.risk
    change.risk_answers = clean
    change.risk_calculated = calculated
    change.risk = final
    change.risk_override_reason = override_reason
    change.risk_assessed_by = by
    change.risk_assessed_at = timezone.now()
    _save(
        change,
        [
            "risk_answers",
            "risk_calculated",
            "risk",
            "risk_override_reason",
            "risk_assessed_by",
            "risk_assessed_at",
        ],
    )
    if override_reason:
        body = _("Risk assessed: calculated %(calculated)s, overridden to %(risk)s. Reason: %(reason)s") % {
            "calculated": Risk(calculated).label,
            "risk": Risk(final).label,
            "reason": override_reason,
        }
    else:
        body = _("Risk assessed: %(risk)s.") % {"risk": Risk(final).label}
    _timeline(
        change,
        by=by,
        kind=TimelineKind.FIELD_CHANGE,
        body=body,
        data={"risk": [old, final], "risk_calculated": calculated, "answers": clean},
    )
    return change


# --- Lifecycle -----------------------------------------------------------------------------------


def _require_plans(change: ChangeRequest) -> None:
    errors = {}
    if not change.has_planned_window:
        errors["planned_start"] = _("Plan the start and end of the change.")
    if not change.implementation_plan.strip():
        errors["implementation_plan"] = _("Describe how the change will be implemented.")
    if not change.backout_plan.strip():
        errors["backout_plan"] = _("Describe how the change will be backed out if it fails.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def submit_for_assessment(change: ChangeRequest, *, by) -> ChangeRequest:
    """New → Assess (normal changes): ready for the risk and technical assessment."""
    _require_agent(by)
    _lock(change)
    _set_state(change, S.ASSESS, by=by)
    return change


@transaction.atomic
def request_approval(change: ChangeRequest, *, by) -> ChangeRequest:
    """Assess → Authorize (normal) or New → Authorize (emergency): create this round's approval
    requirements from the matching approval rules and notify each approver."""
    _require_agent(by)
    _lock(change)
    _check_transition(change, S.AUTHORIZE)
    _require_plans(change)
    if change.change_type == ChangeType.NORMAL and not change.risk:
        raise ValidationError({"risk": _("Assess the risk before asking for approval.")})
    if change.change_type == ChangeType.NORMAL:
        _raise_if_blocked(change)

    matching = [
        rule
        for rule in ApprovalRule.objects.filter(is_active=True).prefetch_related("groups__members")
        if rules.rule_matches(rules.RuleSpec(rule.change_type, rule.risk), change.change_type, change.risk)
    ]
    if not matching:
        raise ValidationError(
            {
                "approval": _(
                    "No approval rule matches a %(type)s change of %(risk)s risk. Ask an administrator."
                )
                % {"type": change.get_change_type_display().lower(), "risk": (change.risk or "-")}
            }
        )
    plan: list[tuple[ApprovalRule, list[tuple[object, object]]]] = []
    for rule in matching:
        approvers: dict[int, tuple[object, object]] = {}
        for group in rule.groups.all():
            if not group.is_active:
                continue
            for member in group.members.all():
                # Nobody approves their own change (separation of duties).
                if member.is_active and member.pk != change.requester_id and member.pk not in approvers:
                    approvers[member.pk] = (member, group)
        need = rule.quorum if rule.policy == ApprovalPolicy.QUORUM else 1
        if len(approvers) < (need or 1):
            raise ValidationError(
                {
                    "approval": _(
                        "The approval rule “%(rule)s” has not enough approvers (other than the requester)."
                    )
                    % {"rule": rule.name}
                }
            )
        plan.append((rule, list(approvers.values())))

    change.approval_round += 1
    now = timezone.now()
    approval_rows = []
    for rule, approvers in plan:
        requirement = ApprovalRequirement.objects.create(
            change=change,
            rule=rule,
            round=change.approval_round,
            name=rule.name,
            policy=rule.policy,
            quorum=rule.quorum if rule.policy == ApprovalPolicy.QUORUM else None,
        )
        for member, group in approvers:
            approval_rows.append(
                Approval(
                    change=change,
                    requirement=requirement,
                    approver=member,
                    group=group,
                    requested_at=now,
                    link_nonce=secrets.token_urlsafe(24),
                )
            )
    Approval.objects.bulk_create(approval_rows)
    change.approval_status = ApprovalStatus.REQUESTED
    change.retrospective_approval = False
    _save(change, ["approval_round", "approval_status", "retrospective_approval"])
    _set_state(
        change,
        S.AUTHORIZE,
        by=by,
        note=_("Approval requested from: %(names)s.")
        % {"names": ", ".join(sorted({str(a.approver) for a in approval_rows}))},
        data={"round": change.approval_round, "requirements": [rule.name for rule, _a in plan]},
    )
    # bulk_create leaves ids unset on SQLite: read the rows back for the links.
    for approval in change.approvals.filter(requirement__round=change.approval_round).select_related(
        "approver"
    ):
        _notify_approver(change, approval, reminder=False)
    return change


def _notify_approver(change: ChangeRequest, approval: Approval, *, reminder: bool) -> None:
    approver = approval.approver
    context = {
        **_change_context(change, approver),
        "approve_url": approval_link_url(approval),
        "cab_url": settings.SITE_URL + reverse("changes:cab"),
        "reminder": reminder,
        "group": approval.group.name if approval.group_id else "",
    }
    suffix = f"reminder:{timezone.now():%Y%m%d}" if reminder else "requested"
    notify(
        template="change_approval_request",
        to=approver,
        context=context,
        dedupe_key=f"change:{change.pk}:approval:{approval.pk}:{suffix}",
        thread=change.number,
    )


@transaction.atomic
def decide(change: ChangeRequest, *, by, decision: str, comment: str = "", via: str = "ui") -> ChangeRequest:
    """Record ``by``'s decision on every approval of theirs that is pending on this change's
    current round, then apply the policies: all approved → the change is approved (and
    scheduled when it waits in Authorize); one requirement rejected → rejected, and a change
    still in Authorize goes back to New with the reasons. Emergency changes already being
    implemented are approved or rejected retrospectively."""
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose approve or reject.")})
    comment = (comment or "").strip()
    if decision == Decision.REJECT and not comment:
        raise ValidationError({"comment": _("Give the reason for the rejection.")})
    _lock(change)
    rows = list(
        change.approvals.select_for_update()
        .filter(approver=by, state=ApprovalState.REQUESTED, requirement__round=change.approval_round)
        .select_related("requirement")
    )
    if not rows or change.approval_status != ApprovalStatus.REQUESTED:
        raise PermissionDenied(_("You have no pending approval on this change."))
    now = timezone.now()
    retrospective = change.state in (S.IMPLEMENT, S.REVIEW)
    new_state = ApprovalState.APPROVED if decision == Decision.APPROVE else ApprovalState.REJECTED
    for row in rows:
        row.state = new_state
        row.comment = comment
        row.decided_at = now
        row.retrospective = retrospective
        row.link_nonce = ""
        row.save(update_fields=["state", "comment", "decided_at", "retrospective", "link_nonce"])
    if decision == Decision.APPROVE:
        body = _("Approved by %(who)s.") % {"who": by}
    else:
        body = _("Rejected by %(who)s.") % {"who": by}
    if comment:
        body = f"{body} {comment}"
    _timeline(
        change,
        by=by,
        kind=TimelineKind.APPROVAL,
        body=body,
        data={
            "event": "decision",
            "decision": decision,
            "via": via,
            "round": change.approval_round,
            "retrospective": retrospective,
            "requirements": [row.requirement.name for row in rows],
        },
    )
    _evaluate_round(change, by=by)
    return change


def _evaluate_round(change: ChangeRequest, *, by) -> None:
    requirements = list(change.requirements.filter(round=change.approval_round).prefetch_related("approvals"))
    outcomes = []
    for requirement in requirements:
        outcome = rules.requirement_outcome(
            requirement.policy, requirement.quorum, [a.state for a in requirement.approvals.all()]
        )
        if outcome != requirement.outcome:
            requirement.outcome = outcome
            requirement.save(update_fields=["outcome"])
        outcomes.append(outcome)
    overall = rules.overall_outcome(outcomes)
    if overall == ApprovalStatus.REQUESTED:
        return
    # Decided: the approvers who did not answer no longer need to.
    change.approvals.filter(requirement__round=change.approval_round, state=ApprovalState.REQUESTED).update(
        state=ApprovalState.NOT_REQUIRED, link_nonce=""
    )
    change.approval_status = overall
    _save(change, ["approval_status"])
    retrospective = change.state in (S.IMPLEMENT, S.REVIEW)
    if overall == ApprovalStatus.APPROVED:
        _timeline(
            change,
            by=by,
            kind=TimelineKind.APPROVAL,
            body=_("The change is retrospectively approved.")
            if retrospective
            else _("The change is approved."),
            data={"event": "approved", "round": change.approval_round, "retrospective": retrospective},
        )
        _notify_people(change, "change_approved", extra={"retrospective": retrospective})
        if change.state == S.AUTHORIZE:
            if blocking_conflicts(change):
                _timeline(
                    change,
                    by=by,
                    kind=TimelineKind.APPROVAL,
                    body=_(
                        "Approved, but the planned window falls in a freeze window: a change manager must "
                        "override it before the change is scheduled."
                    ),
                    data={"event": "schedule_blocked"},
                )
            else:
                _schedule(change, by=by)
        return
    reasons = list(
        change.approvals.filter(requirement__round=change.approval_round, state=ApprovalState.REJECTED)
        .select_related("approver")
        .order_by("decided_at", "id")
    )
    reason_text = "\n".join(f"{a.approver}: {a.comment}" for a in reasons)
    _notify_people(
        change,
        "change_rejected",
        extra={
            "reasons": [{"approver": str(a.approver), "comment": a.comment} for a in reasons],
            "retrospective": retrospective,
        },
        managers=retrospective,
    )
    if change.state == S.AUTHORIZE:
        _set_state(
            change,
            S.NEW,
            by=by,
            note=_("Rejected; back to New. Reasons:\n%(reasons)s") % {"reasons": reason_text},
            data={"event": "rejected", "round": change.approval_round},
        )
    else:
        _timeline(
            change,
            by=by,
            kind=TimelineKind.APPROVAL,
            body=_("The emergency change is retrospectively rejected. Reasons:\n%(reasons)s")
            % {"reasons": reason_text},
            data={"event": "rejected", "round": change.approval_round, "retrospective": True},
        )


def _notify_people(change: ChangeRequest, template: str, *, extra: dict, managers: bool = False) -> None:
    recipients = {change.requester_id: change.requester}
    if change.implementer_id:
        recipients[change.implementer_id] = change.implementer
    if managers:
        for manager in change_managers():
            recipients.setdefault(manager.pk, manager)
    for user in recipients.values():
        notify(
            template=template,
            to=user,
            context={**_change_context(change, user), **extra},
            dedupe_key=f"change:{change.pk}:{template}:round{change.approval_round}:{user.pk}",
            thread=change.number,
        )


def _schedule(change: ChangeRequest, *, by) -> None:
    conflicts = find_conflicts(change)
    warnings = [c for c in conflicts if not c.blocking]
    _set_state(
        change,
        S.SCHEDULED,
        by=by,
        data={"conflicts": [c.to_dict() for c in conflicts]} if conflicts else None,
        note=_("Scheduled with %(count)s calendar warning(s).") % {"count": len(warnings)}
        if warnings
        else "",
    )


@transaction.atomic
def schedule_change(change: ChangeRequest, *, by, override_reason: str = "") -> ChangeRequest:
    """Move an approved change (or a standard one) to Scheduled. A normal change needs its
    approval, and a freeze-free window or a change manager's override (given here or before)."""
    _require_agent(by)
    _lock(change)
    if change.state == S.AUTHORIZE and change.approval_status != ApprovalStatus.APPROVED:
        raise ValidationError({"approval": _("The change cannot be scheduled before it is approved.")})
    _check_transition(change, S.SCHEDULED)
    if not change.has_planned_window:
        raise ValidationError({"planned_start": _("Plan the start and end of the change.")})
    if change.change_type == ChangeType.NORMAL and blocking_conflicts(change):
        if not override_reason:
            _raise_if_blocked(change)
        override_schedule(change, by=by, reason=override_reason)
    _schedule(change, by=by)
    return change


@transaction.atomic
def start_change(change: ChangeRequest, *, by) -> ChangeRequest:
    """Scheduled → Implement; an emergency change may also start from Authorize before the
    ECAB decided, and is then approved retrospectively."""
    _require_agent(by)
    _lock(change)
    note = ""
    if change.state == S.AUTHORIZE:
        if change.change_type != ChangeType.EMERGENCY:
            raise ValidationError(
                {"approval": _("The change cannot start before it is approved and scheduled.")}
            )
        if change.approval_status == ApprovalStatus.REQUESTED:
            change.retrospective_approval = True
            _save(change, ["retrospective_approval"])
            note = _("Implementation started before the ECAB decided: the approval will be retrospective.")
    _set_state(change, S.IMPLEMENT, by=by, note=note)
    change.actual_start = timezone.now()
    _save(change, ["actual_start"])
    return change


def _flag_template(change: ChangeRequest, *, by) -> None:
    template = ChangeTemplate.objects.select_for_update().get(pk=change.template_id)
    line = _("%(number)s ended %(outcome)s on %(date)s.") % {
        "number": change.number,
        "outcome": change.get_outcome_display().lower(),
        "date": timezone.now().date().isoformat(),
    }
    template.needs_review = True
    template.flagged_at = timezone.now()
    template.review_reason = f"{template.review_reason}\n{line}".strip()
    template.save(update_fields=["needs_review", "flagged_at", "review_reason", "updated_at"])
    _timeline(
        change,
        by=by,
        kind=TimelineKind.LINK,
        body=_("The template “%(name)s” is flagged for review.") % {"name": template.name},
        data={"event": "template_flagged", "template": template.slug},
    )
    for manager in change_managers():
        notify(
            template="change_template_flagged",
            to=manager,
            context={
                **_change_context(change, manager),
                "template_name": template.name,
                "outcome": change.outcome,
                "outcome_notes": change.outcome_notes,
            },
            dedupe_key=f"change:{change.pk}:template_flagged:{manager.pk}",
            thread=change.number,
        )


@transaction.atomic
def complete_change(change: ChangeRequest, *, by, outcome: str, notes: str = "") -> ChangeRequest:
    """Implement → Review with the outcome (a successful standard change closes at once; a
    failed or backed-out one flags its template for review)."""
    _require_agent(by)
    _lock(change)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of the change.")})
    if change.state != S.IMPLEMENT:
        raise ValidationError({"state": _("Only a change being implemented can be completed.")})
    notes = (notes or "").strip()
    if outcome != Outcome.SUCCESSFUL and not notes:
        raise ValidationError({"outcome_notes": _("Describe what happened.")})
    change.outcome = outcome
    change.outcome_notes = notes
    change.actual_end = timezone.now()
    _save(change, ["outcome", "outcome_notes", "actual_end"])
    target = rules.close_target(change.change_type, outcome)
    if target == S.CLOSED and change.change_type == ChangeType.STANDARD:
        _set_state(
            change, S.CLOSED, by=by, note=_("Closed: %(outcome)s.") % {"outcome": Outcome(outcome).label}
        )
    else:
        _set_state(
            change,
            S.REVIEW,
            by=by,
            note=_("Implemented: %(outcome)s. %(notes)s")
            % {"outcome": Outcome(outcome).label, "notes": notes},
        )
    if outcome in FAILED_OUTCOMES and change.template_id:
        _flag_template(change, by=by)
    return change


@transaction.atomic
def close_change(change: ChangeRequest, *, by, review_notes: str = "") -> ChangeRequest:
    """Review → Closed with the post-implementation review."""
    _require_agent(by)
    _lock(change)
    if change.state != S.REVIEW:
        raise ValidationError({"state": _("Only a change in Review can be closed.")})
    review_notes = (review_notes or "").strip() or change.review_notes
    if not review_notes:
        raise ValidationError({"review_notes": _("Write the post-implementation review.")})
    if change.approval_status == ApprovalStatus.REQUESTED:
        raise ValidationError(
            {
                "approval": _(
                    "The retrospective approval is still pending; the ECAB must decide before closing."
                )
            }
        )
    change.review_notes = review_notes
    _save(change, ["review_notes"])
    _set_state(change, S.CLOSED, by=by, note=review_notes)
    return change


def _withdraw_pending(change: ChangeRequest) -> int:
    return change.approvals.filter(state=ApprovalState.REQUESTED).update(
        state=ApprovalState.NOT_REQUIRED, link_nonce=""
    )


@transaction.atomic
def cancel_change(change: ChangeRequest, *, by, reason: str) -> ChangeRequest:
    """Cancel a change before Review; pending approvals are withdrawn."""
    _require_agent(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    _lock(change)
    _set_state(change, S.CANCELLED, by=by, note=reason)
    change.cancel_reason = reason
    fields = ["cancel_reason"]
    if _withdraw_pending(change) and change.approval_status == ApprovalStatus.REQUESTED:
        change.approval_status = ApprovalStatus.NOT_REQUESTED
        fields.append("approval_status")
    _save(change, fields)
    return change


@transaction.atomic
def revert_to_new(change: ChangeRequest, *, by, reason: str) -> ChangeRequest:
    """Send the change back to New (to re-plan or re-assess); pending approvals are withdrawn
    and any approval is void: it must be requested again."""
    _require_agent(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for sending the change back.")})
    _lock(change)
    if change.change_type == ChangeType.STANDARD:
        raise ValidationError({"state": _("A standard change is not sent back; cancel it instead.")})
    _set_state(change, S.NEW, by=by, note=reason)
    _withdraw_pending(change)
    change.approval_status = ApprovalStatus.NOT_REQUESTED
    change.retrospective_approval = False
    _save(change, ["approval_status", "retrospective_approval"])
    return change


# --- Approval links ------------------------------------------------------------------------------

_LINK_SALT = "changes.approval-link"


def approval_link_token(approval: Approval) -> str:
    """A signed, timestamped token naming the approval, its approver and the row's nonce."""
    if not approval.link_nonce:
        raise ApprovalLinkError("used")
    return signing.TimestampSigner(salt=_LINK_SALT).sign_object(
        {"a": approval.pk, "u": approval.approver_id, "n": approval.link_nonce}
    )


def approval_link_url(approval: Approval) -> str:
    return settings.SITE_URL + reverse("changes:approval-link", args=[approval_link_token(approval)])


def resolve_approval_link(token: str, *, user) -> Approval:
    """The approval an e-mailed link refers to, if ``user`` may still decide it through the link.

    Checks, in order: the signature, the age (CHANGE_APPROVAL_LINK_MAX_AGE_DAYS), that the signed-in
    user is the approver the link was sent to, and that the nonce is still on the row (each
    decision clears it, so a link works once).
    """
    signer = signing.TimestampSigner(salt=_LINK_SALT)
    max_age = timedelta(days=settings.CHANGE_APPROVAL_LINK_MAX_AGE_DAYS)
    try:
        payload = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ApprovalLinkError("expired")
    except signing.BadSignature:
        raise ApprovalLinkError("invalid")
    if not isinstance(payload, dict) or not {"a", "u", "n"} <= set(payload):
        raise ApprovalLinkError("invalid")
    if payload["u"] != user.pk:
        raise ApprovalLinkError("wrong_user")
    approval = (
        Approval.objects.select_related("change", "change__requester", "approver", "requirement", "group")
        .filter(pk=payload["a"], approver_id=user.pk)
        .first()
    )
    if approval is None:
        raise ApprovalLinkError("invalid")
    if (
        approval.state != ApprovalState.REQUESTED
        or not approval.link_nonce
        or not secrets.compare_digest(approval.link_nonce, str(payload["n"]))
    ):
        raise ApprovalLinkError("used")
    return approval


@transaction.atomic
def decide_via_link(token: str, *, by, decision: str, comment: str = "") -> ChangeRequest:
    """Decide through an e-mailed link: the link is consumed (with every other way of deciding)."""
    approval = resolve_approval_link(token, user=by)
    # Consume first, under a lock: two concurrent posts of the same link cannot both pass.
    consumed = Approval.objects.filter(
        pk=approval.pk, state=ApprovalState.REQUESTED, link_nonce=approval.link_nonce
    ).update(link_nonce="")
    if not consumed:
        raise ApprovalLinkError("used")
    return decide(approval.change, by=by, decision=decision, comment=comment, via="email")


# --- Reminders -----------------------------------------------------------------------------------


def remind_pending_approvals(*, older_than: timedelta, limit: int = 500) -> int:
    """Remind approvers whose approval has waited longer than ``older_than`` and who were not
    reminded within that time. Claims each row with a conditional UPDATE (idempotent under
    concurrent sweeps); at most one reminder per approval per day (dedupe key)."""
    now = timezone.now()
    due = now - older_than
    candidates = list(
        Approval.objects.pending()
        .filter(requested_at__lte=due, change__state__in=(S.AUTHORIZE, S.IMPLEMENT, S.REVIEW))
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=due))
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for approval_id in candidates:
        with transaction.atomic():
            claimed = (
                Approval.objects.pending()
                .filter(pk=approval_id)
                .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=due))
                .update(reminded_at=now)
            )
            if not claimed:
                continue
            approval = Approval.objects.select_related(
                "change", "change__requester", "approver", "group"
            ).get(pk=approval_id)
            if not approval.link_nonce:
                continue
            _notify_approver(approval.change, approval, reminder=True)
            sent += 1
    return sent


# --- Templates -----------------------------------------------------------------------------------


@transaction.atomic
def approve_template(template: ChangeTemplate, *, by) -> ChangeTemplate:
    """A change manager approves a standard change template once (or again after a review,
    which clears the review flag)."""
    if not roles.has_role(by, roles.CHANGE_MANAGER):
        raise PermissionDenied(_("Only a change manager can approve standard change templates."))
    template.status = TemplateStatus.APPROVED
    template.approved_by = by
    template.approved_at = timezone.now()
    template.needs_review = False
    template.save(update_fields=["status", "approved_by", "approved_at", "needs_review", "updated_at"])
    return template


@transaction.atomic
def retire_template(template: ChangeTemplate, *, by) -> ChangeTemplate:
    if not roles.has_role(by, roles.CHANGE_MANAGER):
        raise PermissionDenied(_("Only a change manager can retire standard change templates."))
    template.status = TemplateStatus.RETIRED
    template.save(update_fields=["status", "updated_at"])
    return template


# --- Calendar ------------------------------------------------------------------------------------


@dataclass
class CalendarChange:
    change: ChangeRequest
    conflicts: list[Conflict]

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts)

    @property
    def is_blocked(self) -> bool:
        return any(c.blocking for c in self.conflicts)


@dataclass
class MaintenanceOccurrence:
    window: MaintenanceWindow
    start: datetime
    end: datetime


@dataclass
class CalendarData:
    start: datetime
    end: datetime
    changes: list[CalendarChange]
    maintenance: list[MaintenanceOccurrence]
    freezes: list[FreezeWindow]


MAX_CALENDAR_DAYS = 366


def calendar_data(start: datetime, end: datetime, *, service=None) -> CalendarData:
    """Changes (not cancelled) whose planned window meets [start, end), with their conflicts,
    the maintenance window occurrences and the freeze windows of the range. A constant number
    of queries: conflicts are computed in memory from everything that can overlap."""
    if end <= start:
        raise ValidationError({"to": _("The end of the range must be after its start.")})
    if end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise ValidationError(
            {"to": _("Ask for at most %(days)s days at once.") % {"days": MAX_CALENDAR_DAYS}}
        )
    in_range = (
        ChangeRequest.objects.exclude(state=S.CANCELLED)
        .in_window(start, end)
        .for_list()
        .prefetch_related("services", "configuration_items")
        .order_by("planned_start", "number")
    )
    if service is not None:
        in_range = in_range.filter(services=service)
    changes = list(in_range)
    active = [c for c in changes if c.state in ACTIVE_STATES]
    span_start = min([start, *(c.planned_start for c in active)])
    span_end = max([end, *(c.planned_end for c in active)])
    others = [
        c.to_spec()
        for c in ChangeRequest.objects.filter(state__in=ACTIVE_STATES)
        .in_window(span_start, span_end)
        .prefetch_related("services", "configuration_items")
    ]
    freezes_all = list(FreezeWindow.objects.in_window(span_start, span_end).prefetch_related("services"))
    freeze_specs = [f.to_spec() for f in freezes_all]
    windows = list(MaintenanceWindow.objects.filter(is_active=True).select_related("service"))
    window_specs = [w.to_spec() for w in windows]
    names = {w.service_id: w.service.name for w in windows}
    for change in changes:
        for s in change.services.all():
            names.setdefault(s.pk, s.name)
    result = []
    for change in changes:
        conflicts = []
        if change.state in ACTIVE_STATES:
            conflicts = detect_conflicts(
                change.to_spec(),
                change_type=change.change_type,
                freezes=freeze_specs,
                maintenance=window_specs,
                others=others,
                service_names=names,
            )
            conflicts = effective_conflicts(change, conflicts)
        result.append(CalendarChange(change=change, conflicts=conflicts))
    occurrences = []
    for window, spec in zip(windows, window_specs, strict=True):
        if service is not None and window.service_id != service.pk:
            continue
        for occ in spec.occurrences(start, end):
            occurrences.append(MaintenanceOccurrence(window=window, start=occ.start, end=occ.end))
    occurrences.sort(key=lambda o: (o.start, o.window.service.name))
    freezes = [
        f
        for f in freezes_all
        if f.start < end
        and f.end > start
        and (service is None or not f.services.all() or any(s.pk == service.pk for s in f.services.all()))
    ]
    return CalendarData(start=start, end=end, changes=result, maintenance=occurrences, freezes=freezes)
