"""The major-incident procedure: pure rules, then the domain operations that UI, API and tasks call.

Flow: any agent proposes an incident as major (with a reason); an incident manager accepts or
rejects the proposal, or declares a major incident directly. Acceptance makes the incident
manager the owner, copies the service's default stakeholders, starts the communication cadence
and plans one escalation step per level of the service's escalation policy. Level 1 is notified
in the accepting transaction; each later level is notified by the minute sweep (``sweep``) or an
ETA task when nobody acknowledged in time. Acknowledging, resolving, closing or cancelling the
incident cancels the pending steps.

Exactly once: an escalation step is claimed by a conditional UPDATE (pending -> notified) in the
same transaction that writes its outbox rows, under a lock on the major-incident row. Two workers,
duplicate tasks or a worker that dies mid-step (its transaction rolls back and the step stays
pending) never notify a level twice; outbox dedupe keys are a second guard. Cadence reminders
are claimed the same way (``reminder_due_at`` is cleared in the transaction that reminds).

Scope of status updates: a *public* update goes to the stakeholders, the caller of the major
incident, the callers of its child incidents and the users who said "this affects me too", and
shows on the portal. An *internal* update goes to the stakeholder list only and never appears on
the portal or in the timeline of child incidents.

"This affects me too" subscribes the end user to the major incident (``MajorAffectedUser``)
instead of creating a child incident: no duplicate ticket to route, assign and time against an
SLA, no notification to the resolver group per click, and the user still receives every public
update and the resolution. Duplicates reported by phone or e-mail are linked as child incidents
by agents (``link_child``); both count as affected callers on the board.

SLM integration point: ``incident_event`` is sent with ``major_accepted`` / ``major_resolved`` /
``major_reopened`` so that the SLM engine can re-match the incident against an SLA policy whose
condition is "major incident" (24x7, shorter targets). Nothing here computes SLA targets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import sweeps
from core.choices import TimelineKind
from core.dates import format_datetime
from core.models import SupportGroup, User
from core.roles import INCIDENT_MANAGER, has_role, is_agent
from incidents import services
from incidents.choices import OPEN_STATES, MajorState, ResolutionCode, State
from incidents.major_choices import MajorAction, StakeholderSource, StepState, UpdateVisibility
from incidents.major_rules import conduct_error
from incidents.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    Incident,
    IncidentTimelineEntry,
    MajorAffectedUser,
    MajorIncident,
    MajorStakeholder,
    MajorStatusUpdate,
    PostIncidentReview,
    ServiceStakeholderDefault,
)
from notifications.services import Recipient, group_recipients, notify, notify_many

log = logging.getLogger(__name__)

ACK_SALT = "incidents.major.acknowledge"


# --- Pure rules ---------------------------------------------------------------------------------

ACTIONS = ("propose", "accept", "reject", "declare")

# major_state -> actions allowed from it
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    MajorState.NONE: ("propose", "declare"),
    MajorState.PROPOSED: ("accept", "reject", "declare"),
    MajorState.REJECTED: ("propose", "declare"),  # a rejected proposal can be proposed again
    MajorState.ACCEPTED: (),
    MajorState.RESOLVED: (),
}
MANAGER_ACTIONS = ("accept", "reject", "declare")


def decision_errors(
    major_state: str, action: str, *, incident_open: bool, is_agent: bool, is_manager: bool, reason: str = ""
) -> dict[str, str]:
    """Why ``action`` is not allowed now (empty when it is). No I/O.

    Only agents propose; only incident managers accept, reject or declare; proposals and
    rejections need a reason; a closed incident is never made major.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not is_agent:
        return {"major_state": str(_("Only agents can take part in the major-incident procedure."))}
    if action in MANAGER_ACTIONS and not is_manager:
        return {
            "major_state": str(_("Only an incident manager can accept, reject or declare a major incident."))
        }
    if action not in ALLOWED_FROM.get(major_state, ()):
        messages = {
            MajorState.PROPOSED: _("The incident is already proposed as a major incident."),
            MajorState.ACCEPTED: _("The incident is already a major incident."),
            MajorState.RESOLVED: _("The major incident is resolved."),
        }
        default = _("There is no proposal to decide on.")
        return {"major_state": str(messages.get(major_state, default))}
    if action in ("propose", "declare") and not incident_open:
        return {"state": str(_("Only an open incident can become a major incident."))}
    if action in ("propose", "reject", "declare") and not (reason or "").strip():
        return {"reason": str(_("Give a reason."))}
    return {}


def plan_steps(delays: Sequence[timedelta], start: datetime) -> list[datetime]:
    """Due instants of the levels: level 1 at ``start``, each next one after the previous
    level's wait for acknowledgement. ``delays[i]`` is level i+1's wait."""
    due, at = [], start
    for delay in delays:
        due.append(at)
        at = at + delay
    return due


def next_update_due(posted_at: datetime, cadence: timedelta) -> datetime:
    return posted_at + cadence


def summarise_timeline(entries: Iterable[tuple[datetime, str, str]], tz=None) -> str:
    """One line per event ("2025-03-01 10:02 Accepted as major incident — by Ingrid"), for the
    post-incident review. ``entries`` are (when, what, who) tuples in time order; times in ``tz``
    (UTC when none is given), in the active language's one date-time format (core.dates)."""
    lines = []
    for when, what, who in entries:
        stamp = format_datetime(when, tz or UTC)
        lines.append(f"{stamp} {what}" + (f" — {who}" if who else ""))
    return "\n".join(lines)


# --- Helpers ------------------------------------------------------------------------------------


def is_incident_manager(user) -> bool:
    return is_agent(user) and has_role(user, INCIDENT_MANAGER)


def _conduct_error(user, major: MajorIncident, action: str) -> str | None:
    return conduct_error(
        action,
        is_agent=is_agent(user),
        is_manager=is_incident_manager(user),
        is_owner=bool(major.owner_id) and major.owner_id == getattr(user, "pk", None),
    )


def may_conduct(user, major: MajorIncident, action: str = "resolve") -> bool:
    """Whether ``user`` conducts ``major``: posts its updates, adds external stakeholders and
    resolves it (the incident manager role or the major incident's owner)."""
    return _conduct_error(user, major, action) is None


def require_conduct(user, major: MajorIncident, action: str) -> None:
    """Raise PermissionDenied (with the reason) unless ``user`` conducts ``major``."""
    error = _conduct_error(user, major, action)
    if error:
        raise PermissionDenied(error)


def require_conduct_of(incident: Incident, user, action: str) -> None:
    """``require_conduct`` for the major-incident record of ``incident`` (none: nothing to check)."""
    major = MajorIncident.objects.filter(incident_id=incident.pk).only("pk", "owner_id").first()
    if major is not None:
        require_conduct(user, major, action)


def incident_managers() -> list[User]:
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=INCIDENT_MANAGER) | Q(is_superuser=True))
        .exclude(email="")
        .distinct()
        .order_by("id")
    )


def policy_for(service) -> EscalationPolicy | None:
    """The service's active policy, else the active default policy, else none."""
    policies = EscalationPolicy.objects.filter(is_active=True)
    if service is not None:
        policy = policies.filter(service=service).first()
        if policy is not None:
            return policy
    return policies.filter(service__isnull=True).first()


def default_cadence() -> timedelta:
    return timedelta(minutes=getattr(settings, "MAJOR_DEFAULT_CADENCE_MINUTES", 30))


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _distinct(recipients: Iterable) -> list[Recipient]:
    out, seen = [], set()
    for to in recipients:
        recipient = to if isinstance(to, Recipient) else Recipient.of(to)
        key = (recipient.address or "").lower()
        if key and key not in seen:
            seen.add(key)
            out.append(recipient)
    return out


def level_recipients(level: EscalationLevel | None) -> list[Recipient]:
    if level is None:
        return []
    found: list = [u for u in level.users.all() if u.is_active]
    for group in level.groups.select_related("desk"):
        found += group_recipients(group)
    if level.oncall_address:
        found.append(Recipient(address=level.oncall_address, language=level.oncall_language or "en"))
    return _distinct(found)


def stakeholder_recipients(major: MajorIncident) -> list[Recipient]:
    found: list = []
    for holder in major.stakeholders.select_related("user", "group", "group__desk"):
        if holder.user_id and holder.user.is_active:
            found.append(holder.user)
        elif holder.group_id:
            found += group_recipients(holder.group)
        elif holder.address:
            found.append(Recipient(address=holder.address, language=holder.language or "en"))
    return _distinct(found)


def affected_recipients(major: MajorIncident) -> list[Recipient]:
    """The caller, the callers of child incidents (not closed or cancelled) and the users who
    said "this affects me too": everyone who gets public updates besides the stakeholders."""
    incident = major.incident
    callers = [incident.caller]
    callers += [
        child.caller
        for child in incident.children.exclude(state__in=[State.CLOSED, State.CANCELLED]).select_related(
            "caller"
        )
    ]
    callers += [row.user for row in major.affected_users.select_related("user")]
    return _distinct(u for u in callers if u.is_active)


def _context(major: MajorIncident, **extra) -> dict:
    incident = major.incident
    number = {"number": incident.number}
    return {
        "number": incident.number,
        "short_description": incident.short_description,
        "title": major.title,
        "service": str(incident.service) if incident.service_id else "",
        "priority": incident.priority,
        "owner": str(major.owner) if major.owner_id else "",
        "agent_url": f"{settings.SITE_URL}{reverse('major:room', kwargs=number)}",
        "status_url": f"{settings.SITE_URL}{reverse('major:portal-detail', kwargs=number)}",
        **extra,
    }


def _record(incident: Incident, action: str, *, by, body: str = "", public: bool = False, **data):
    return services._record(
        incident, kind=TimelineKind.MAJOR, by=by, body=body, public=public, data={"action": action, **data}
    )


def _lock_major_or_none(major_or_incident) -> MajorIncident | None:
    """Lock the incident row, then its major-incident row: always in this order, as the incident
    services do (they lock the incident and the ``incident_event`` receiver locks the major row),
    so that concurrent operations never deadlock."""
    if isinstance(major_or_incident, MajorIncident):
        incident_id = major_or_incident.incident_id
    elif isinstance(major_or_incident, Incident):
        incident_id = major_or_incident.pk
    else:
        incident_id = major_or_incident
    list(Incident.objects.select_for_update().filter(pk=incident_id).values_list("pk", flat=True))
    return (
        MajorIncident.objects.select_for_update(of=("self",))
        .select_related("incident", "owner")
        .filter(incident_id=incident_id)
        .first()
    )


def _lock_major(major_or_incident) -> MajorIncident:
    """Lock the major-incident row: every operation on one major incident is serialised by it."""
    major = _lock_major_or_none(major_or_incident)
    if major is None:
        raise ValidationError({"major_state": _("This incident is not a major incident.")})
    return major


def _on_commit_schedule(step_ids_and_due: list[tuple[int, datetime]]) -> None:
    """ETA tasks add promptness only: the sweep notifies due steps even if these are lost."""
    if not step_ids_and_due:
        return

    def enqueue():
        from incidents.major_tasks import process_escalation_step

        for step_id, due_at in step_ids_and_due:
            try:
                process_escalation_step.apply_async((step_id,), eta=due_at)
            except Exception:  # broker down: the sweep notifies the step on time anyway
                log.warning("could not enqueue escalation step %s; the sweep will notify it", step_id)

    transaction.on_commit(enqueue)


# --- Proposal and decision ----------------------------------------------------------------------


@transaction.atomic
def propose_major(
    incident: Incident, *, by: User, reason: str, expected_version: int | None = None
) -> MajorIncident:
    """Any agent proposes the incident as major; incident managers are asked to decide."""
    locked = services._lock(incident, expected_version)
    _raise(
        decision_errors(
            locked.major_state,
            "propose",
            incident_open=locked.is_open,
            is_agent=is_agent(by),
            is_manager=is_incident_manager(by),
            reason=reason,
        )
    )
    now = timezone.now()
    major, _created = MajorIncident.objects.get_or_create(incident=locked)
    major.proposed_by, major.proposed_at, major.proposal_reason = by, now, reason.strip()
    major.decided_by, major.decided_at, major.rejection_reason = None, None, ""
    major.save(
        update_fields=[
            "proposed_by",
            "proposed_at",
            "proposal_reason",
            "decided_by",
            "decided_at",
            "rejection_reason",
        ]
    )
    locked.major_state = MajorState.PROPOSED
    services._save(locked, ["major_state"])
    _record(locked, MajorAction.PROPOSED, by=by, body=major.proposal_reason)
    services._emit(locked, "major_proposed", by=by)
    notify_many(
        template="major_proposed",
        recipients=[u for u in incident_managers() if u.pk != by.pk],
        context=_context(major, proposed_by=str(by), reason=major.proposal_reason),
        dedupe_key=f"major:{major.pk}:proposed:v{locked.version}",
        thread=locked.number,
    )
    services._sync(incident, locked)
    return major


@transaction.atomic
def reject_major(
    incident: Incident, *, by: User, reason: str, expected_version: int | None = None
) -> MajorIncident:
    """An incident manager rejects the proposal; it can be proposed again later."""
    locked = services._lock(incident, expected_version)
    _raise(
        decision_errors(
            locked.major_state,
            "reject",
            incident_open=locked.is_open,
            is_agent=is_agent(by),
            is_manager=is_incident_manager(by),
            reason=reason,
        )
    )
    major = _lock_major(locked)
    major.decided_by, major.decided_at, major.rejection_reason = by, timezone.now(), reason.strip()
    major.save(update_fields=["decided_by", "decided_at", "rejection_reason"])
    locked.major_state = MajorState.REJECTED
    services._save(locked, ["major_state"])
    _record(locked, MajorAction.REJECTED, by=by, body=major.rejection_reason)
    services._emit(locked, "major_rejected", by=by)
    if major.proposed_by_id and major.proposed_by_id != by.pk:
        notify(
            template="major_rejected",
            to=major.proposed_by,
            context=_context(major, decided_by=str(by), reason=major.rejection_reason),
            dedupe_key=f"major:{major.pk}:rejected:v{locked.version}",
            thread=locked.number,
        )
    services._sync(incident, locked)
    return major


def _validate_owner(owner: User | None, by: User) -> User:
    owner = owner or by
    if not is_incident_manager(owner) or not owner.is_active:
        raise ValidationError({"owner": _("%(user)s is not an incident manager.") % {"user": owner}})
    return owner


def _validate_cadence(cadence: timedelta | None) -> timedelta:
    cadence = cadence if cadence is not None else default_cadence()
    if cadence < timedelta(seconds=1) or cadence > timedelta(days=1):
        raise ValidationError({"cadence": _("The update cadence must be between one minute and 24 hours.")})
    return cadence


def accept_major(
    incident: Incident,
    *,
    by: User,
    owner: User | None = None,
    cadence: timedelta | None = None,
    public_title: str = "",
    show_banner: bool = True,
    expected_version: int | None = None,
) -> MajorIncident:
    """An incident manager accepts the proposal: the major-incident procedure starts."""
    return _start(
        incident,
        by=by,
        action="accept",
        reason="",
        owner=owner,
        cadence=cadence,
        public_title=public_title,
        show_banner=show_banner,
        expected_version=expected_version,
    )


def declare_major(
    incident: Incident,
    *,
    by: User,
    reason: str,
    owner: User | None = None,
    cadence: timedelta | None = None,
    public_title: str = "",
    show_banner: bool = True,
    expected_version: int | None = None,
) -> MajorIncident:
    """An incident manager makes the incident major directly, without a proposal."""
    return _start(
        incident,
        by=by,
        action="declare",
        reason=reason,
        owner=owner,
        cadence=cadence,
        public_title=public_title,
        show_banner=show_banner,
        expected_version=expected_version,
    )


@transaction.atomic
def _start(
    incident: Incident,
    *,
    by: User,
    action: str,
    reason: str,
    owner: User | None,
    cadence: timedelta | None,
    public_title: str,
    show_banner: bool,
    expected_version: int | None,
) -> MajorIncident:
    locked = services._lock(incident, expected_version)
    _raise(
        decision_errors(
            locked.major_state,
            action,
            incident_open=locked.is_open,
            is_agent=is_agent(by),
            is_manager=is_incident_manager(by),
            reason=reason,
        )
    )
    owner = _validate_owner(owner, by)
    cadence = _validate_cadence(cadence)
    if len(public_title or "") > 200:
        raise ValidationError({"public_title": _("At most 200 characters.")})
    now = timezone.now()
    major, _created = MajorIncident.objects.get_or_create(incident=locked)
    if action == "declare":
        major.proposed_by, major.proposed_at, major.proposal_reason = by, now, reason.strip()
    major.decided_by, major.decided_at, major.rejection_reason = by, now, ""
    major.owner, major.accepted_at, major.resolved_at = owner, now, None
    major.public_title, major.show_banner = (public_title or "").strip(), show_banner
    major.cadence, major.last_update_at = cadence, None
    major.next_update_due_at = major.reminder_due_at = next_update_due(now, cadence)
    major.escalation_policy = policy_for(locked.service)
    major.escalation_level = 0
    major.acknowledged_by, major.acknowledged_at, major.acknowledged_via = None, None, ""
    major.save()
    locked.major_state = MajorState.ACCEPTED
    services._save(locked, ["major_state"])
    major.incident = locked

    # Stakeholders: the service's defaults and the global ones (duplicates are skipped).
    defaults = ServiceStakeholderDefault.objects.filter(
        Q(service__isnull=True) | Q(service=locked.service_id)
    )
    for default in defaults.order_by("id"):
        _add_stakeholder_row(
            major,
            user=default.user,
            group=default.group,
            address=default.address,
            language=default.language,
            source=StakeholderSource.SERVICE_DEFAULT,
            by=by,
        )

    # Escalation: one step per level, level 1 due now.
    major.steps.all().delete()  # a major incident is accepted once; defensive for a re-run
    levels = list(major.escalation_policy.levels.order_by("order")) if major.escalation_policy else []
    due = plan_steps([level.delay for level in levels], now)
    steps = EscalationStep.objects.bulk_create(
        [
            EscalationStep(major=major, level=level, order=index + 1, due_at=at)
            for index, (level, at) in enumerate(zip(levels, due, strict=True))
        ]
    )
    _record(
        locked,
        MajorAction.DECLARED if action == "declare" else MajorAction.ACCEPTED,
        by=by,
        body=reason.strip() if action == "declare" else "",
        owner=str(owner),
        cadence_minutes=round(cadence.total_seconds() / 60, 2),
        policy=str(major.escalation_policy or ""),
    )
    services._emit(locked, "major_accepted", by=by, owner=owner.pk)

    informed = stakeholder_recipients(major)
    if locked.assignment_group_id:
        informed += group_recipients(locked.assignment_group)
    if owner.pk != by.pk:
        informed.append(owner)
    if major.proposed_by_id and major.proposed_by_id != by.pk:
        informed.append(major.proposed_by)
    notify_many(
        template="major_accepted",
        recipients=_distinct(informed),
        context=_context(major, decided_by=str(by), reason=major.proposal_reason),
        dedupe_key=f"major:{major.pk}:accepted:{now.isoformat()}",
        thread=locked.number,
    )
    if steps:
        _notify_step(major, steps[0], now)
        _on_commit_schedule([(s.pk, s.due_at) for s in steps[1:]])
    services._sync(incident, locked)
    return major


# --- Escalation ---------------------------------------------------------------------------------


def make_ack_token(step_id: int, recipient: Recipient) -> str:
    payload = {"s": step_id}
    if recipient.user_id:
        payload["u"] = recipient.user_id
    else:
        payload["a"] = recipient.address.lower()
    return signing.dumps(payload, salt=ACK_SALT, compress=True)


def read_ack_token(token: str) -> dict:
    """The payload of a signed acknowledge link, or ValidationError when forged or expired."""
    max_age = getattr(settings, "MAJOR_ACK_LINK_MAX_AGE_SECONDS", 7 * 24 * 3600)
    try:
        return signing.loads(token, salt=ACK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError({"token": _("This acknowledge link has expired.")})
    except signing.BadSignature:
        raise ValidationError({"token": _("This acknowledge link is not valid.")})


def ack_url(step_id: int, recipient: Recipient) -> str:
    return f"{settings.SITE_URL}{reverse('major:ack', kwargs={'token': make_ack_token(step_id, recipient)})}"


def _notify_step(major: MajorIncident, step: EscalationStep, now: datetime) -> bool:
    """Claim ``step`` and notify its level (the caller holds the lock on ``major``)."""
    claimed = EscalationStep.objects.filter(pk=step.pk, state=StepState.PENDING, due_at__lte=now).update(
        state=StepState.NOTIFIED, notified_at=now
    )
    if not claimed:
        return False
    if major.acknowledged_at or not major.is_active:
        EscalationStep.objects.filter(pk=step.pk).update(
            state=StepState.CANCELLED, cancelled_at=now, notified_at=None
        )
        return False
    level = EscalationLevel.objects.filter(pk=step.level_id).first() if step.level_id else None
    recipients = level_recipients(level)
    for recipient in recipients:
        notify(
            template="major_escalation",
            to=recipient,
            context=_context(major, level=step.order, ack_url=ack_url(step.pk, recipient)),
            dedupe_key=f"major:{major.pk}:step:{step.pk}:{recipient.address.lower()}",
            thread=major.incident.number,
        )
    names = [recipient.address for recipient in recipients]
    EscalationStep.objects.filter(pk=step.pk).update(recipients=names)
    MajorIncident.objects.filter(pk=major.pk, escalation_level__lt=step.order).update(
        escalation_level=step.order
    )
    major.escalation_level = max(major.escalation_level, step.order)
    # The next level gets the full wait from now, even if this step was notified late.
    wait = level.delay if level is not None else timedelta(0)
    following = major.steps.filter(state=StepState.PENDING, order__gt=step.order).order_by("order").first()
    if following is not None:
        EscalationStep.objects.filter(pk=following.pk).update(due_at=now + wait)
        _on_commit_schedule([(following.pk, now + wait)])
    _record(major.incident, MajorAction.ESCALATED, by=None, level=step.order, recipients=names)
    return True


def notify_step(step_id: int, *, now: datetime | None = None) -> bool:
    """Notify one due escalation step exactly once. True if this call notified it."""
    now = now or timezone.now()
    with transaction.atomic():
        step = (
            EscalationStep.objects.select_related("major")
            .filter(pk=step_id, state=StepState.PENDING, due_at__lte=now)
            .first()
        )
        if step is None:
            return False
        major = _lock_major_or_none(step.major.incident_id)
        return _notify_step(major, step, now)


def due_step_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        EscalationStep.objects.filter(state=StepState.PENDING, due_at__lte=now)
        .exclude(pk__in=sweeps.skipped_ids("incidents.major.steps"))
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def sweep_due_steps(*, now: datetime | None = None, limit: int = 500) -> int:
    """Notify every due escalation step; each in its own transaction. Returns how many.

    A step that fails stays pending, is logged and recorded (core.sweeps) and set aside for a
    back-off, so it cannot head every run while the others wait."""
    done = 0
    guard = sweeps.RowGuard("incidents.major.steps", "incidents.EscalationStep")
    for step_id in due_step_ids(now=now, limit=limit):
        with guard.row(step_id):
            done += notify_step(step_id, now=now)
    guard.finish()
    return done


def _cancel_pending_steps(major: MajorIncident, now: datetime) -> int:
    return EscalationStep.objects.filter(major=major, state=StepState.PENDING).update(
        state=StepState.CANCELLED, cancelled_at=now
    )


def can_acknowledge(user, major: MajorIncident) -> bool:
    """Incident managers, and the users a notified level reached (directly or via their group)."""
    if not is_agent(user) or not major.is_active or major.acknowledged_at:
        return False
    if is_incident_manager(user):
        return True
    level_ids = major.steps.filter(state=StepState.NOTIFIED).values_list("level_id", flat=True)
    return (
        EscalationLevel.objects.filter(pk__in=level_ids)
        .filter(Q(users=user) | Q(groups__members=user))
        .exists()
    )


@transaction.atomic
def acknowledge_major(incident: Incident, *, by: User | None, via: str = "") -> bool:
    """Someone takes the escalation: pending steps are cancelled. False if already acknowledged."""
    major = _lock_major(incident)
    if major.acknowledged_at:
        return False
    if not major.is_active:
        raise ValidationError({"major_state": _("Only an active major incident can be acknowledged.")})
    now = timezone.now()
    major.acknowledged_by, major.acknowledged_at, major.acknowledged_via = by, now, via[:254]
    major.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledged_via"])
    cancelled = _cancel_pending_steps(major, now)
    _record(
        major.incident,
        MajorAction.ACKNOWLEDGED,
        by=by,
        via=via,
        level=major.escalation_level,
        cancelled_steps=cancelled,
    )
    services._emit(major.incident, "major_acknowledged", by=by)
    if major.owner_id and (by is None or by.pk != major.owner_id):
        notify(
            template="major_acknowledged",
            to=major.owner,
            context=_context(major, acknowledged_by=str(by) if by else via, level=major.escalation_level),
            dedupe_key=f"major:{major.pk}:acknowledged",
            thread=major.incident.number,
        )
    return True


def acknowledge_with_token(token: str) -> tuple[MajorIncident, bool]:
    """The one-click link of an escalation message: records who acknowledged, once."""
    payload = read_ack_token(token)
    step = EscalationStep.objects.select_related("major__incident").filter(pk=payload.get("s")).first()
    if step is None:
        raise ValidationError({"token": _("This acknowledge link is not valid.")})
    user = User.objects.filter(pk=payload["u"], is_active=True).first() if payload.get("u") else None
    via = f"link:{user.email if user else payload.get('a', '')}"
    major = step.major
    if major.acknowledged_at:
        return major, False
    if not major.is_active:
        raise ValidationError({"major_state": _("This major incident is no longer active.")})
    done = acknowledge_major(major.incident, by=user, via=via)
    major.refresh_from_db()
    return major, done


# --- Communication ------------------------------------------------------------------------------


def _add_stakeholder_row(major, *, user, group, address, language, source, by) -> MajorStakeholder | None:
    holder = MajorStakeholder(
        major=major,
        user=user,
        group=group,
        address=(address or "").strip().lower(),
        language=language or "en",
        source=source,
        added_by=by,
    )
    holder.clean()
    try:
        with transaction.atomic():
            holder.save()
    except IntegrityError:
        return None
    return holder


@transaction.atomic
def add_stakeholder(
    incident: Incident,
    *,
    by: User,
    user: User | None = None,
    group: SupportGroup | None = None,
    address: str = "",
    language: str = "en",
) -> MajorStakeholder:
    """Add a person, a group or an address to the stakeholders of an accepted major incident."""
    if not is_agent(by):
        raise ValidationError({"stakeholder": _("Only agents can add stakeholders.")})
    major = _lock_major(incident)
    if major.incident.major_state not in (MajorState.ACCEPTED, MajorState.RESOLVED):
        raise ValidationError({"stakeholder": _("Stakeholders belong to an accepted major incident.")})
    if sum(bool(x) for x in (user, group, (address or "").strip())) != 1:
        raise ValidationError(
            {"stakeholder": _("Give exactly one of a user, a support group or an address.")}
        )
    if (address or "").strip():
        require_conduct(by, major, "external_stakeholder")
    if address:
        from django.core.validators import validate_email

        try:
            validate_email(address.strip())
        except ValidationError:
            raise ValidationError({"address": _("Enter a valid e-mail address.")})
    holder = _add_stakeholder_row(
        major,
        user=user,
        group=group,
        address=address,
        language=language,
        source=StakeholderSource.MANUAL,
        by=by,
    )
    if holder is None:
        raise ValidationError(
            {"stakeholder": _("%(who)s is already a stakeholder.") % {"who": user or group or address}}
        )
    _record(major.incident, MajorAction.STAKEHOLDER_ADDED, by=by, stakeholder=str(holder))
    return holder


@transaction.atomic
def remove_stakeholder(holder: MajorStakeholder, *, by: User) -> None:
    if not is_agent(by):
        raise ValidationError({"stakeholder": _("Only agents can remove stakeholders.")})
    major = _lock_major(holder.major.incident)
    if holder.address:
        require_conduct(by, major, "external_stakeholder")
    name = str(holder)
    MajorStakeholder.objects.filter(pk=holder.pk).delete()
    _record(major.incident, MajorAction.STAKEHOLDER_REMOVED, by=by, stakeholder=name)


@transaction.atomic
def post_status_update(incident: Incident, *, by: User, body: str, public: bool) -> MajorStatusUpdate:
    """Post to the communication log and send it: public to everyone affected, internal to the
    stakeholders only. Restarts the cadence clock."""
    if not is_agent(by):
        raise ValidationError({"body": _("Only agents can post status updates.")})
    if not body or not body.strip():
        raise ValidationError({"body": _("The status update is empty.")})
    major = _lock_major(incident)
    require_conduct(by, major, "status_update")
    if major.incident.major_state not in (MajorState.ACCEPTED, MajorState.RESOLVED):
        raise ValidationError({"major_state": _("Status updates belong to an accepted major incident.")})
    now = timezone.now()
    update = MajorStatusUpdate.objects.create(
        major=major,
        body=body.strip(),
        visibility=UpdateVisibility.PUBLIC if public else UpdateVisibility.INTERNAL,
        posted_by=by,
        posted_at=now,
    )
    recipients = stakeholder_recipients(major)
    if public:
        recipients += affected_recipients(major)
    rows = notify_many(
        template="major_status_update",
        recipients=_distinct(recipients),
        context=_context(
            major, body=update.body, public=public, posted_by=str(by), posted_at=now.isoformat()
        ),
        dedupe_key=f"major:{major.pk}:update:{update.pk}",
        thread=major.incident.number,
    )
    update.recipient_count = len(rows)
    update.save(update_fields=["recipient_count"])
    fields = ["last_update_at"]
    major.last_update_at = now
    if major.is_active:
        major.next_update_due_at = major.reminder_due_at = next_update_due(now, major.cadence)
        fields += ["next_update_due_at", "reminder_due_at"]
    major.save(update_fields=fields)
    _record(
        major.incident, MajorAction.STATUS_UPDATE, by=by, body=update.body, public=public, update=update.pk
    )
    if public:
        # Child incidents' callers also read the update on their own ticket in the portal.
        children = list(major.incident.children.exclude(state__in=[State.CLOSED, State.CANCELLED]))
        IncidentTimelineEntry.objects.bulk_create(
            [
                IncidentTimelineEntry(
                    ticket=child,
                    kind=TimelineKind.MAJOR,
                    author=by,
                    body=update.body,
                    is_public=True,
                    created_at=now,
                    data={
                        "action": MajorAction.STATUS_UPDATE,
                        "major": major.incident.number,
                        "update": update.pk,
                    },
                )
                for child in children
            ]
        )
    services._emit(major.incident, "major_status_update", by=by, public=public)
    return update


def remind_cadence(major_id: int, *, now: datetime | None = None) -> bool:
    """Remind the owner once per due instant that a status update is overdue. True if sent."""
    now = now or timezone.now()
    with transaction.atomic():
        incident_id = (
            MajorIncident.objects.filter(pk=major_id, reminder_due_at__lte=now)
            .values_list("incident_id", flat=True)
            .first()
        )
        if incident_id is None:
            return False
        major = _lock_major_or_none(incident_id)
        if major.reminder_due_at is None or major.reminder_due_at > now:
            return False  # another worker reminded, or an update was posted meanwhile
        due = major.reminder_due_at
        MajorIncident.objects.filter(pk=major.pk, reminder_due_at=due).update(reminder_due_at=None)
        if not major.is_active:
            return False
        recipients = [major.owner] if major.owner_id and major.owner.is_active else incident_managers()
        notify_many(
            template="major_update_due",
            recipients=recipients,
            context=_context(
                major,
                due_at=due.isoformat(),
                last_update_at=major.last_update_at.isoformat() if major.last_update_at else "",
            ),
            dedupe_key=f"major:{major.pk}:update-due:{due.isoformat()}",
            thread=major.incident.number,
        )
        _record(major.incident, MajorAction.UPDATE_DUE, by=None, due_at=due.isoformat())
        return True


def due_reminder_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        MajorIncident.objects.filter(reminder_due_at__lte=now)
        .exclude(pk__in=sweeps.skipped_ids("incidents.major.reminders"))
        .order_by("reminder_due_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep_cadence(*, now: datetime | None = None, limit: int = 500) -> int:
    done = 0
    guard = sweeps.RowGuard("incidents.major.reminders", "incidents.MajorIncident")
    for major_id in due_reminder_ids(now=now, limit=limit):
        with guard.row(major_id):
            done += remind_cadence(major_id, now=now)
    guard.finish()
    return done


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic task: due escalation steps and due cadence reminders. Cheap when none is due
    (two index lookups)."""
    return {"steps": sweep_due_steps(now=now), "reminders": sweep_cadence(now=now)}


# --- Affected users and child incidents ---------------------------------------------------------


def join_as_affected(major: MajorIncident, *, user: User) -> tuple[MajorAffectedUser, bool]:
    """The portal's "this affects me too": the user follows the major incident (see module doc)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise ValidationError({"user": _("Sign in first.")})
    with transaction.atomic():
        major = _lock_major(major.incident)
        if not (major.is_active and major.show_banner):
            raise ValidationError({"major_state": _("This major incident is no longer active.")})
        row, created = MajorAffectedUser.objects.get_or_create(major=major, user=user)
        if created:
            _record(major.incident, MajorAction.AFFECTED_USER, by=user, user=str(user))
            services._emit(major.incident, "major_affected_user", by=user)
    return row, created


@transaction.atomic
def link_child(incident: Incident, *, by: User, child: Incident) -> Incident:
    """Link a duplicate reported by another caller as a child of the major incident."""
    if not is_agent(by):
        raise ValidationError({"child": _("Only agents can link child incidents.")})
    major = _lock_major(incident)
    if not major.is_active:
        raise ValidationError({"major_state": _("Child incidents are linked to an active major incident.")})
    if child.pk == major.incident_id:
        raise ValidationError({"child": _("An incident cannot be its own child.")})
    if child.major_state == MajorState.ACCEPTED:
        raise ValidationError(
            {"child": _("%(number)s is a major incident itself.") % {"number": child.number}}
        )
    if not child.is_open:
        raise ValidationError({"child": _("Only open incidents can be linked.")})
    if child.parent_id == major.incident_id:
        return child
    services.link_parent(child, by=by, parent=major.incident)
    _record(major.incident, MajorAction.CHILD_LINKED, by=by, child=child.number)
    return child


# --- Resolution and review ----------------------------------------------------------------------


def resolve_children(incident: Incident, *, by: User, resolution_notes: str = "") -> list[str]:
    """Resolve every open child incident of a major incident; each caller is notified as usual."""
    require_conduct_of(incident, by, "resolve")
    resolved = []
    code = incident.resolution_code or ResolutionCode.SOLUTION_PROVIDED
    notes = _("Resolved together with major incident %(number)s.") % {"number": incident.number}
    if resolution_notes or incident.resolution_notes:
        notes = f"{notes}\n\n{resolution_notes or incident.resolution_notes}"
    with transaction.atomic():
        children = list(
            Incident.objects.select_for_update().filter(parent=incident, state__in=OPEN_STATES).order_by("id")
        )
        for child in children:
            services.resolve_incident(child, by=by, resolution_code=code, resolution_notes=notes)
            resolved.append(child.number)
        if resolved:
            _record(incident, MajorAction.RESOLVED, by=by, children=resolved)
    return resolved


@transaction.atomic
def resolve_major_with_children(
    incident: Incident,
    *,
    by: User,
    resolution_code: str,
    resolution_notes: str,
    resolve_child_incidents: bool = True,
    expected_version: int | None = None,
) -> list[str]:
    """Resolve the major incident and, in the same action, its open child incidents."""
    if not is_agent(by):
        raise ValidationError({"state": _("Only agents can resolve incidents.")})
    if incident.major_state != MajorState.ACCEPTED:
        raise ValidationError({"major_state": _("This is not an active major incident.")})
    require_conduct_of(incident, by, "resolve")
    services.resolve_incident(
        incident,
        by=by,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
        expected_version=expected_version,
    )
    if not resolve_child_incidents:
        return []
    return resolve_children(incident, by=by, resolution_notes=resolution_notes)


def _on_major_resolved(incident: Incident, by) -> None:
    major = _lock_major_or_none(incident)
    if major is None:
        return
    now = timezone.now()
    major.resolved_at = now
    major.next_update_due_at = major.reminder_due_at = None
    major.save(update_fields=["resolved_at", "next_update_due_at", "reminder_due_at"])
    _cancel_pending_steps(major, now)
    major.incident = incident
    services._emit(incident, "major_resolved", by=by)
    notify_many(
        template="major_resolved",
        recipients=_distinct(
            stakeholder_recipients(major) + [row.user for row in major.affected_users.select_related("user")]
        ),
        context=_context(major, resolution_notes=incident.resolution_notes),
        dedupe_key=f"major:{major.pk}:resolved:v{incident.version}",
        thread=incident.number,
    )


def _on_major_stopped(incident: Incident) -> None:
    major = _lock_major_or_none(incident)
    if major is None:
        return
    now = timezone.now()
    major.next_update_due_at = major.reminder_due_at = None
    major.save(update_fields=["next_update_due_at", "reminder_due_at"])
    _cancel_pending_steps(major, now)


def _on_major_reopened(incident: Incident, by) -> None:
    major = _lock_major_or_none(incident)
    if major is None:
        return
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(major_state=MajorState.ACCEPTED)
    incident.major_state = MajorState.ACCEPTED
    major.resolved_at = None
    major.next_update_due_at = major.reminder_due_at = next_update_due(now, major.cadence)
    major.save(update_fields=["resolved_at", "next_update_due_at", "reminder_due_at"])
    _record(incident, MajorAction.REOPENED, by=by)
    services._emit(incident, "major_reopened", by=by)


def on_incident_event(sender, *, incident: Incident, event: str, by=None, data=None, **_kwargs) -> None:
    """Keep the procedure in step with the incident's state, whoever changed it (UI, API, admin)."""
    if event not in ("state_changed", "reopened") or not incident.major_state:
        return
    data = data or {}
    if event == "reopened":
        if incident.major_state == MajorState.RESOLVED:
            _on_major_reopened(incident, by)
        return
    new = data.get("new")
    if new == State.RESOLVED and incident.major_state == MajorState.RESOLVED:
        _on_major_resolved(incident, by)
    elif new in (State.CANCELLED, State.CLOSED) and incident.major_state == MajorState.ACCEPTED:
        _on_major_stopped(incident)


@dataclass(frozen=True)
class ReviewInput:
    root_cause: str = ""
    actions: str = ""
    lessons: str = ""
    timeline_summary: str | None = None


def review_timeline(major: MajorIncident) -> str:
    """A draft timeline summary from the incident's history (major events, states, updates)."""
    kinds = (TimelineKind.CREATED, TimelineKind.STATE_CHANGE, TimelineKind.MAJOR, TimelineKind.ASSIGNMENT)
    rows = []
    for entry in (
        major.incident.timeline.filter(kind__in=kinds).select_related("author").order_by("created_at", "id")
    ):
        action = entry.data.get("action")
        if entry.kind == TimelineKind.MAJOR and action:
            what = str(MajorAction(action).label) if action in MajorAction.values else action
            if action == MajorAction.STATUS_UPDATE:
                what = f"{what}: {entry.body[:200]}"
            elif action == MajorAction.ESCALATED:
                what = f"{what} {entry.data.get('level', '')}"
        elif entry.kind == TimelineKind.STATE_CHANGE:
            old, new = (entry.data.get("state") or ["", ""])[:2]
            what = f"{entry.get_kind_display()}: {old} → {new}"
        else:
            what = str(entry.get_kind_display())
        rows.append((entry.created_at, what, str(entry.author) if entry.author_id else ""))
    return summarise_timeline(rows, tz=timezone.get_current_timezone())


@transaction.atomic
def record_review(incident: Incident, *, by: User, review: ReviewInput) -> PostIncidentReview:
    """Record (or revise) the post-incident review of a resolved major incident."""
    if not is_agent(by):
        raise ValidationError({"review": _("Only agents can record a post-incident review.")})
    major = _lock_major(incident)
    if major.incident.major_state != MajorState.RESOLVED:
        raise ValidationError({"major_state": _("A post-incident review follows the resolution.")})
    now = timezone.now()
    existing = PostIncidentReview.objects.filter(major=major).first()
    summary = review.timeline_summary
    if existing is None:
        existing = PostIncidentReview(major=major, created_by=by, created_at=now)
        if summary is None or not summary.strip():
            summary = review_timeline(major)
    existing.timeline_summary = summary if summary is not None else existing.timeline_summary
    existing.root_cause = review.root_cause.strip()
    existing.actions = review.actions.strip()
    existing.lessons = review.lessons.strip()
    existing.updated_by, existing.updated_at = by, now
    existing.save()
    _record(major.incident, MajorAction.REVIEW, by=by, actions=len(existing.action_list))
    return existing


# --- Board --------------------------------------------------------------------------------------


def affected_counts(majors: Sequence[MajorIncident]) -> dict[int, tuple[int, int]]:
    """Per major incident: (child incidents, distinct affected callers), in two queries whatever
    the number of major incidents. Affected callers are the caller, the children's callers and the
    users who joined from the portal."""
    by_incident = {m.incident_id: m for m in majors}
    children: dict[int, int] = {m.pk: 0 for m in majors}
    people: dict[int, set] = {m.pk: {m.incident.caller_id} for m in majors}
    rows = Incident.objects.filter(parent_id__in=by_incident).exclude(state=State.CANCELLED)
    for parent_id, caller_id in rows.values_list("parent_id", "caller_id"):
        major = by_incident[parent_id]
        children[major.pk] += 1
        people[major.pk].add(caller_id)
    for major_id, user_id in MajorAffectedUser.objects.filter(major__in=majors).values_list(
        "major_id", "user_id"
    ):
        people[major_id].add(user_id)
    return {pk: (children[pk], len(people[pk])) for pk in children}


def level_counts(majors: Sequence[MajorIncident]) -> dict[int, int]:
    counts = {m.pk: 0 for m in majors}
    for major_id in EscalationStep.objects.filter(major__in=majors).values_list("major_id", flat=True):
        counts[major_id] += 1
    return counts
