"""Incidents, their append-only timeline, attachments, the priority matrix and routing rules."""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import Language
from core.models import TimelineEntryBase
from core.roles import is_agent
from incidents.choices import (
    OPEN_STATES,
    ContactChannel,
    HoldReason,
    Impact,
    MajorState,
    Priority,
    ResolutionCode,
    State,
    Urgency,
)
from incidents.major_choices import StakeholderSource, StepState, UpdateVisibility

# The people of an incident; lists and details load them in one query instead of four joins.
PEOPLE_FIELDS = ("caller", "assigned_to", "opened_by", "resolved_by")


class IncidentQuerySet(models.QuerySet):
    _with_people = False

    def _clone(self):
        clone = super()._clone()
        clone._with_people = self._with_people
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._with_people and self._result_cache and isinstance(self._result_cache[0], Incident):
            attach_people(self._result_cache)

    def with_people(self) -> IncidentQuerySet:
        """Load caller, assignee, opener, resolver and parent of the fetched rows in two queries.

        Joining ``core_user`` four times (plus the parent) costs PostgreSQL far more to plan than
        to run: at 100,000 incidents EXPLAIN showed ~25-100 ms of planning for ~1 ms of execution
        on a loaded 2-core machine, against ~3 ms planning with only the small lookup tables
        joined. ``id IN (...)`` look-ups are planned in well under a millisecond.
        """
        clone = self._chain()
        clone._with_people = True
        return clone

    def visible_to(self, user) -> IncidentQuerySet:
        """The one permission scope of incidents, for every list, detail, search and API view.

        Agents see every incident. End users see the incidents they reported, and those of
        their organisation when the organisation shares tickets. Anyone else sees nothing.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if is_agent(user):
            return self
        scope = Q(caller=user)
        if user.organization_id and user.organization.share_tickets:
            scope |= Q(caller__organization_id=user.organization_id)
        return self.filter(scope)

    def open(self) -> IncidentQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def for_list(self) -> IncidentQuerySet:
        """What a list row shows, in a constant number of queries (the page, its people, parents)."""
        return self.select_related("assignment_group", "category", "service", "desk").with_people()


def attach_people(incidents: list[Incident]) -> None:
    """Fill the people and parent caches of ``incidents`` with one query each (none when empty)."""
    from core.models import User

    user_ids = {getattr(i, f"{name}_id") for i in incidents for name in PEOPLE_FIELDS} - {None}
    users = User.objects.in_bulk(user_ids) if user_ids else {}
    parent = Incident._meta.get_field("parent")
    parent_ids = {i.parent_id for i in incidents if i.parent_id and not parent.is_cached(i)}
    parents = Incident.objects.in_bulk(parent_ids) if parent_ids else {}
    for incident in incidents:
        for name in PEOPLE_FIELDS:
            field = Incident._meta.get_field(name)
            if not field.is_cached(incident):
                field.set_cached_value(incident, users.get(getattr(incident, field.attname)))
        if incident.parent_id in parents:
            parent.set_cached_value(incident, parents[incident.parent_id])


class Incident(models.Model):
    """An unplanned interruption or reduction in quality of an IT service."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("caller"), on_delete=models.PROTECT, related_name="incidents"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    desk = models.ForeignKey(
        "core.Desk", verbose_name=_("desk"), on_delete=models.PROTECT, related_name="incidents"
    )
    contact_channel = models.CharField(
        _("contact channel"), max_length=20, choices=ContactChannel.choices, default=ContactChannel.PORTAL
    )
    service = models.ForeignKey(
        "slm.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    category = models.ForeignKey(
        "core.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    configuration_item = models.CharField(_("configuration item"), max_length=200, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.LOW)
    # Derived from impact x urgency through the matrix; never typed in.
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, editable=False, default=5
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.NEW)
    hold_reason = models.CharField(_("hold reason"), max_length=20, choices=HoldReason.choices, blank=True)
    assignment_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_incidents",
    )
    reassignment_count = models.PositiveIntegerField(_("reassignment count"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    resolution_code = models.CharField(
        _("resolution code"), max_length=30, choices=ResolutionCode.choices, blank=True
    )
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("reopen count"), default=0)
    last_reopened_at = models.DateTimeField(_("last reopened"), null=True, blank=True)
    # Caller satisfaction with the resolution (CSAT), 1-5.
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    # Major-incident procedure (see incidents.major).
    major_state = models.CharField(
        _("major incident state"),
        max_length=20,
        choices=MajorState.choices,
        blank=True,
        default=MajorState.NONE,
    )
    # Optimistic concurrency: every write bumps it; a write based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["state", "-id"], name="incident_state_idx"),
            models.Index(fields=["assignment_group", "state", "-id"], name="incident_group_state_idx"),
            models.Index(fields=["assigned_to", "state", "-id"], name="incident_assignee_state_idx"),
            models.Index(fields=["caller", "-id"], name="incident_caller_idx"),
            models.Index(fields=["priority", "-id"], name="incident_priority_idx"),
            models.Index(fields=["-updated_at", "-id"], name="incident_updated_idx"),
            models.Index(fields=["-created_at", "-id"], name="incident_created_idx"),
            models.Index(fields=["resolved_at"], name="incident_resolved_idx", condition=Q(state="resolved")),
            # The open queue by priority (?ordering=priority,-updated_at): without it PostgreSQL walked
            # incident_priority_idx through closed rows and sorted (13.7 ms at 100k incidents).
            models.Index(
                fields=["priority", "-updated_at", "-id"],
                name="incident_open_priority_idx",
                condition=Q(state__in=OPEN_STATES),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=3), name="incident_impact_range"),
            models.CheckConstraint(
                condition=Q(urgency__gte=1, urgency__lte=3), name="incident_urgency_range"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="incident_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:agent-detail", kwargs={"number": self.number})

    def get_portal_url(self) -> str:
        return reverse("incidents:portal-detail", kwargs={"number": self.number})

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_major(self) -> bool:
        return self.major_state == MajorState.ACCEPTED

    @property
    def etag(self) -> str:
        return f'"{self.number}-v{self.version}"'


class IncidentTimelineEntry(TimelineEntryBase):
    """One event in an incident's history (append-only)."""

    ticket = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TimelineEntryBase.Meta):
        verbose_name = _("incident timeline entry")
        verbose_name_plural = _("incident timeline entries")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="incident_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random names: the stored path never reveals or trusts the uploaded file name.
    suffix = Path(filename).suffix.lower()[:10]
    return f"attachments/incidents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file on an incident (optionally on one of its comments). Served as a download only."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    timeline_entry = models.ForeignKey(
        IncidentTimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    is_public = models.BooleanField(_("visible to the caller"), default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    @staticmethod
    def guess_type(filename: str) -> str:
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class PriorityMatrixCell(models.Model):
    """An administrator's override of one cell of the impact x urgency priority matrix."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique_cell")
        ]

    def __str__(self) -> str:
        return f"I{self.impact} x U{self.urgency} = P{self.priority}"


class RoutingRule(models.Model):
    """Assigns new incidents to a group by category and/or service (ordered, first match wins)."""

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=100)
    desk = models.ForeignKey(
        "core.Desk", verbose_name=_("desk"), null=True, blank=True, on_delete=models.CASCADE
    )
    category = models.ForeignKey(
        "core.Category",
        verbose_name=_("category (and below)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    service = models.ForeignKey(
        "slm.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.CASCADE
    )
    assignment_group = models.ForeignKey(
        "core.SupportGroup", verbose_name=_("assign to group"), on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    def matches(self, incident: Incident) -> bool:
        if self.desk_id and self.desk_id != incident.desk_id:
            return False
        if self.service_id and self.service_id != incident.service_id:
            return False
        if self.category_id:
            if not incident.category_id:
                return False
            if incident.category_id != self.category_id and not incident.category.path.startswith(
                f"{self.category.path} > "
            ):
                return False
        return bool(self.category_id or self.service_id or self.desk_id)


# --- Major-incident procedure (incidents.major) -----------------------------------------------
# The proposal state lives on Incident.major_state; everything else about a major incident lives
# in the models below, one MajorIncident row per incident that was ever proposed or declared.


class MajorIncidentQuerySet(models.QuerySet):
    def visible_to(self, user) -> MajorIncidentQuerySet:
        """Agents see every major-incident record; end users only reach the public status page."""
        if is_agent(user):
            return self
        return self.none()

    def active(self) -> MajorIncidentQuerySet:
        """Accepted major incidents whose incident is still open: the procedure is running."""
        return self.filter(incident__major_state=MajorState.ACCEPTED, incident__state__in=OPEN_STATES)

    def on_portal(self) -> MajorIncidentQuerySet:
        """Active major incidents announced to end users (portal banner and status page)."""
        return self.active().filter(show_banner=True)

    def for_board(self) -> MajorIncidentQuerySet:
        return self.select_related(
            "incident",
            "incident__service",
            "incident__assignment_group",
            "owner",
            "acknowledged_by",
            "escalation_policy",
        )


class MajorIncident(models.Model):
    """The major-incident record of an incident: proposal, decision, owner, cadence, escalation.

    Created when the incident is first proposed (or declared); a rejected proposal keeps its row
    and a later proposal reuses it (the timeline keeps every proposal and decision).
    """

    incident = models.OneToOneField(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="major"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    proposal_reason = models.TextField(_("reason for the proposal"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for the rejection"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("incident manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_major_incidents",
    )
    accepted_at = models.DateTimeField(_("major incident since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("major incident resolved"), null=True, blank=True)
    # What end users read on the portal banner and status page (incident texts may be internal).
    public_title = models.CharField(_("public title"), max_length=200, blank=True)
    show_banner = models.BooleanField(_("announce on the portal"), default=True)
    cadence = models.DurationField(_("update cadence"), default=timezone.timedelta(minutes=30))
    last_update_at = models.DateTimeField(_("last status update"), null=True, blank=True)
    next_update_due_at = models.DateTimeField(_("next update due"), null=True, blank=True)
    # The instant the sweep reminds the owner that an update is due; cleared once reminded.
    reminder_due_at = models.DateTimeField(_("reminder due"), null=True, blank=True)
    escalation_policy = models.ForeignKey(
        "incidents.EscalationPolicy",
        verbose_name=_("escalation policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level reached"), default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_via = models.CharField(_("acknowledged through"), max_length=254, blank=True)

    objects = MajorIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-accepted_at", "-id"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [
            models.Index(
                fields=["reminder_due_at"],
                name="major_reminder_due_idx",
                condition=Q(reminder_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return str(self.incident)

    @property
    def title(self) -> str:
        return self.public_title or self.incident.short_description

    @property
    def is_active(self) -> bool:
        return self.incident.major_state == MajorState.ACCEPTED and self.incident.is_open

    def update_overdue(self, now=None) -> bool:
        return bool(
            self.is_active and self.next_update_due_at and self.next_update_due_at <= (now or timezone.now())
        )


class EscalationPolicy(models.Model):
    """Who is paged, level after level, until someone acknowledges a major incident.

    A policy with a service applies to that service's major incidents; the active policy without
    a service is the default for every other one.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    service = models.ForeignKey(
        "slm.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_policies",
        help_text=_("Leave empty for the default policy."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(is_active=True, service__isnull=False),
                name="escalation_policy_one_active_per_service",
            ),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True, service__isnull=True),
                name="escalation_policy_one_active_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """One level of a policy: its recipients, and how long to wait for an acknowledgement
    after notifying them before the next level is notified."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField(_("level"))
    delay = models.DurationField(
        _("wait for acknowledgement"),
        default=timezone.timedelta(minutes=15),
        help_text=_("If nobody acknowledges within this time, the next level is notified."),
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("users"), blank=True, related_name="+"
    )
    groups = models.ManyToManyField(
        "core.SupportGroup", verbose_name=_("support groups"), blank=True, related_name="+"
    )
    oncall_address = models.EmailField(_("on-call address"), blank=True)
    oncall_language = models.CharField(
        _("on-call language"), max_length=8, choices=Language.choices, default=Language.EN
    )

    class Meta:
        ordering = ["policy", "order"]
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="escalation_level_unique_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="escalation_level_order_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.order}"


class EscalationStep(models.Model):
    """One scheduled notification of one level for one major incident.

    ``due_at`` is indexed for the sweep; a step is claimed by a conditional UPDATE from pending to
    notified inside the transaction that writes its outbox rows, so it notifies exactly once.
    """

    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="steps")
    # SET_NULL: an administrator may rework a policy later; the step keeps its order and recipients.
    level = models.ForeignKey(
        EscalationLevel, null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("level"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=20, choices=StepState.choices, default=StepState.PENDING)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)

    class Meta:
        ordering = ["major", "order"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.UniqueConstraint(fields=["major", "order"], name="escalation_step_unique_order"),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="escalation_step_due_idx", condition=Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.major_id} · {self.order} · {self.state}"


class StakeholderBase(models.Model):
    """A user, a support group or a bare address that receives status updates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    address = models.EmailField(_("e-mail address"), blank=True)
    language = models.CharField(
        _("language of the address"), max_length=8, choices=Language.choices, default=Language.EN
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.user or self.group or self.address)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if sum(bool(x) for x in (self.user_id, self.group_id, self.address)) != 1:
            raise ValidationError(_("Give exactly one of a user, a support group or an address."))


class ServiceStakeholderDefault(StakeholderBase):
    """Who is a stakeholder of every major incident on a service (no service: on every one)."""

    service = models.ForeignKey(
        "slm.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="major_stakeholders",
        help_text=_("Leave empty to include this stakeholder in every major incident."),
    )

    class Meta:
        ordering = ["service", "id"]
        verbose_name = _("default major-incident stakeholder")
        verbose_name_plural = _("default major-incident stakeholders")


class MajorStakeholder(StakeholderBase):
    """A stakeholder of one major incident: receives every status update (public and internal)."""

    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="stakeholders")
    source = models.CharField(
        _("source"), max_length=20, choices=StakeholderSource.choices, default=StakeholderSource.MANUAL
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("major-incident stakeholder")
        verbose_name_plural = _("major-incident stakeholders")
        constraints = [
            models.UniqueConstraint(
                fields=["major", "user"],
                condition=Q(user__isnull=False),
                name="major_stakeholder_unique_user",
            ),
            models.UniqueConstraint(
                fields=["major", "group"],
                condition=Q(group__isnull=False),
                name="major_stakeholder_unique_group",
            ),
            models.UniqueConstraint(
                fields=["major", "address"], condition=~Q(address=""), name="major_stakeholder_unique_address"
            ),
        ]


class MajorAffectedUser(models.Model):
    """An end user who said "this affects me too" on the portal: follows the major incident."""

    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="affected_users")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("affected user")
        verbose_name_plural = _("affected users")
        constraints = [models.UniqueConstraint(fields=["major", "user"], name="major_affected_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.major}"


class MajorStatusUpdate(models.Model):
    """One entry of the communication log: public (everyone affected) or internal (stakeholders)."""

    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField(_("text"))
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=UpdateVisibility.choices, default=UpdateVisibility.PUBLIC
    )
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("major-incident status update")
        verbose_name_plural = _("major-incident status updates")
        indexes = [models.Index(fields=["major", "-posted_at"], name="major_update_idx")]

    def __str__(self) -> str:
        return f"{self.major} · {self.posted_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.visibility == UpdateVisibility.PUBLIC


class PostIncidentReview(models.Model):
    """What happened, why, and what will be done about it, recorded after resolution."""

    major = models.OneToOneField(MajorIncident, on_delete=models.CASCADE, related_name="review")
    timeline_summary = models.TextField(_("timeline summary"), blank=True)
    root_cause = models.TextField(_("root cause notes"), blank=True)
    actions = models.TextField(_("actions"), blank=True, help_text=_("One action per line."))
    lessons = models.TextField(_("what went well, what did not"), blank=True)
    # Filled when a problem is opened from the review (problems app).
    problem_reference = models.CharField(_("problem"), max_length=20, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("post-incident review")
        verbose_name_plural = _("post-incident reviews")

    def __str__(self) -> str:
        return f"{self.major}"

    @property
    def action_list(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.actions.splitlines() if line.strip(" -*\t")]
