"""Change enablement: change requests, the standard change catalog, approval rules and the
approvals they produce, maintenance and freeze windows, and the change timeline.

State fields are only written by ``changes.services``; see ``changes.rules`` for the state
machine and ``changes.conflicts`` for the calendar arithmetic.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changes.choices import (
    ACTIVE_STATES,
    ApprovalPolicy,
    ApprovalState,
    ApprovalStatus,
    ChangeState,
    ChangeType,
    Impact,
    Outcome,
    Risk,
    TemplateStatus,
    Weekday,
)
from changes.conflicts import ChangeSpec, FreezeSpec, WeeklyWindow, normalize_ci
from core.models import TimelineEntryBase, validate_time_zone
from core.roles import is_agent


class ConfigurationItem(models.Model):
    """A configuration item named in changes (free text until a CMDB exists).

    Names are unique ignoring case, so "DB01" and "db01" are the same item and overlap
    detection on configuration items is an exact, case-insensitive match.
    """

    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("normalised name"), max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = " ".join(self.name.split())
        self.key = normalize_ci(self.name)
        super().save(*args, **kwargs)

    @classmethod
    def for_names(cls, names) -> list[ConfigurationItem]:
        """The items with these names, created when new (first spelling wins)."""
        wanted: dict[str, str] = {}
        for raw in names:
            name = " ".join(str(raw).split())
            if name:
                wanted.setdefault(normalize_ci(name), name)
        if not wanted:
            return []
        existing = {ci.key: ci for ci in cls.objects.filter(key__in=wanted)}
        for key, name in wanted.items():
            if key not in existing:
                existing[key], _created = cls.objects.get_or_create(key=key, defaults={"name": name})
        return [existing[key] for key in wanted]


class ChangeTemplate(models.Model):
    """A standard change of the catalog: approved once by a change manager, then used to open
    pre-approved (standard) changes that skip assessment and authorisation."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, help_text=_("Used by API clients."))
    status = models.CharField(
        _("status"), max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.PROPOSED
    )
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    justification = models.TextField(_("justification"), blank=True)
    services = models.ManyToManyField(
        "slm.Service", verbose_name=_("services"), blank=True, related_name="change_templates"
    )
    configuration_items = models.ManyToManyField(
        ConfigurationItem, verbose_name=_("configuration items"), blank=True, related_name="templates"
    )
    assignment_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, default=Risk.LOW)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    implementation_plan = models.TextField(_("implementation plan"))
    backout_plan = models.TextField(_("backout plan"))
    test_plan = models.TextField(_("test plan"), blank=True)
    default_duration = models.DurationField(
        _("default duration"),
        default=timedelta(hours=1),
        help_text=_("Planned end = planned start + this, unless given."),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Set when a change from this template failed or was backed out; cleared by re-approval.
    needs_review = models.BooleanField(_("flagged for review"), default=False)
    review_reason = models.TextField(_("why it is flagged"), blank=True)
    flagged_at = models.DateTimeField(_("flagged at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self) -> str:
        return self.name

    @property
    def is_usable(self) -> bool:
        return self.status == TemplateStatus.APPROVED

    def clean(self) -> None:
        if self.default_duration is not None and self.default_duration.total_seconds() <= 0:
            raise ValidationError({"default_duration": _("The duration must be positive.")})


class ChangeQuerySet(models.QuerySet):
    def visible_to(self, user) -> ChangeQuerySet:
        """Changes are internal to IT: every agent sees them, nobody else (404 for them)."""
        if is_agent(user):
            return self
        return self.none()

    def for_list(self) -> ChangeQuerySet:
        return self.select_related("requester", "assignment_group", "implementer", "template")

    def active(self) -> ChangeQuerySet:
        return self.filter(state__in=ACTIVE_STATES)

    def in_window(self, start, end) -> ChangeQuerySet:
        """Planned window overlaps [start, end)."""
        return self.filter(planned_start__lt=end, planned_end__gt=start)


class ChangeRequest(models.Model):
    """A request to change production: standard, normal or emergency."""

    number = models.CharField(_("number"), max_length=15, unique=True, editable=False)
    change_type = models.CharField(
        _("type"), max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        ChangeTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    justification = models.TextField(_("justification"), blank=True)
    services = models.ManyToManyField(
        "slm.Service", verbose_name=_("services"), blank=True, related_name="changes"
    )
    configuration_items = models.ManyToManyField(
        ConfigurationItem, verbose_name=_("configuration items"), blank=True, related_name="changes"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignment_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("implementer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    # Empty until assessed. risk_calculated keeps the questionnaire's answer when overridden.
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, blank=True)
    risk_calculated = models.CharField(_("calculated risk"), max_length=10, choices=Risk.choices, blank=True)
    risk_answers = models.JSONField(_("risk assessment answers"), default=dict, blank=True)
    risk_override_reason = models.TextField(_("risk override reason"), blank=True)
    risk_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("risk assessed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    risk_assessed_at = models.DateTimeField(_("risk assessed at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=ChangeState.choices, default=ChangeState.NEW)
    approval_status = models.CharField(
        _("approval"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.NOT_REQUESTED
    )
    # Each request for approval is a round; rejection or revert ends it, a new request starts one.
    approval_round = models.PositiveIntegerField(_("approval round"), default=0)
    # Emergency change implemented before the ECAB decided: the approval is retrospective.
    retrospective_approval = models.BooleanField(_("approval after implementation"), default=False)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("backout plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("outcome notes"), blank=True)
    review_notes = models.TextField(_("post-implementation review"), blank=True)
    # A change manager's override of a blocking conflict (freeze window) for this exact window.
    schedule_override_reason = models.TextField(_("schedule override reason"), blank=True)
    schedule_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("schedule override by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    schedule_override_at = models.DateTimeField(_("schedule override at"), null=True, blank=True)
    schedule_override_start = models.DateTimeField(null=True, blank=True, editable=False)
    schedule_override_end = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Optimistic concurrency: every write through the services bumps it (API ETag / If-Match).
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        indexes = [
            models.Index(fields=["state", "-created_at"], name="change_state_created_idx"),
            models.Index(fields=["planned_start", "planned_end"], name="change_planned_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_start__isnull=True)
                | models.Q(planned_end__isnull=True)
                | models.Q(planned_end__gt=models.F("planned_start")),
                name="change_planned_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    def get_absolute_url(self) -> str:
        return reverse("changes:detail", args=[self.number])

    @property
    def display(self) -> str:
        return str(self)

    @property
    def is_open(self) -> bool:
        return self.state not in (ChangeState.CLOSED, ChangeState.CANCELLED)

    @property
    def has_planned_window(self) -> bool:
        return self.planned_start is not None and self.planned_end is not None

    def override_covers_window(self) -> bool:
        """The recorded schedule override applies only to the window it was given for."""
        return bool(
            self.schedule_override_at
            and self.schedule_override_start == self.planned_start
            and self.schedule_override_end == self.planned_end
        )

    def to_spec(self, service_ids=None, ci_items=None) -> ChangeSpec:
        """The pure view of this change for conflict detection (M2Ms may be given prefetched)."""
        if service_ids is None:
            service_ids = [s.pk for s in self.services.all()]
        if ci_items is None:
            ci_items = list(self.configuration_items.all())
        return ChangeSpec(
            id=self.pk,
            number=self.number,
            start=self.planned_start,
            end=self.planned_end,
            service_ids=frozenset(service_ids),
            cis=frozenset(ci.key for ci in ci_items),
            ci_labels={ci.key: ci.name for ci in ci_items},
        )


class ChangeTimelineEntry(TimelineEntryBase):
    """One entry of a change's append-only history."""

    ticket = models.ForeignKey(
        ChangeRequest, verbose_name=_("change"), on_delete=models.CASCADE, related_name="timeline"
    )

    class Meta(TimelineEntryBase.Meta):
        verbose_name = _("change timeline entry")
        verbose_name_plural = _("change timeline entries")


class ApprovalRule(models.Model):
    """Which groups approve which changes: matched by change type and risk (empty = any).

    Every active rule that matches a change becomes one approval requirement of it; the change
    is approved when all its requirements are. The policy decides a requirement from its
    approvers' decisions: all of them, the first one, or a quorum of approvals.
    """

    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    change_type = models.CharField(
        _("change type"),
        max_length=10,
        choices=ChangeType.choices,
        blank=True,
        help_text=_("Empty: any type."),
    )
    risk = models.CharField(
        _("risk"), max_length=10, choices=Risk.choices, blank=True, help_text=_("Empty: any risk.")
    )
    groups = models.ManyToManyField(
        "core.SupportGroup", verbose_name=_("approver groups"), related_name="change_approval_rules"
    )
    policy = models.CharField(
        _("decision rule"), max_length=10, choices=ApprovalPolicy.choices, default=ApprovalPolicy.ALL
    )
    quorum = models.PositiveSmallIntegerField(
        _("quorum"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Number of approvals needed when the decision rule is a quorum."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.policy == ApprovalPolicy.QUORUM and not self.quorum:
            raise ValidationError({"quorum": _("A quorum rule needs the number of approvals.")})
        if self.change_type == ChangeType.STANDARD:
            raise ValidationError({"change_type": _("Standard changes are pre-approved and need no rule.")})


class ApprovalRequirement(models.Model):
    """One matched approval rule on one change, for one approval round (a snapshot: editing
    the rule or the group later does not change a running approval)."""

    change = models.ForeignKey(
        ChangeRequest, verbose_name=_("change"), on_delete=models.CASCADE, related_name="requirements"
    )
    rule = models.ForeignKey(
        ApprovalRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    round = models.PositiveIntegerField(_("round"))
    name = models.CharField(_("name"), max_length=150)
    policy = models.CharField(_("decision rule"), max_length=10, choices=ApprovalPolicy.choices)
    quorum = models.PositiveSmallIntegerField(_("quorum"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.REQUESTED
    )

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("approval requirement")
        verbose_name_plural = _("approval requirements")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_policy_display()})"


class ApprovalQuerySet(models.QuerySet):
    def visible_to(self, user) -> ApprovalQuerySet:
        if is_agent(user):
            return self
        return self.filter(approver=user)

    def pending(self) -> ApprovalQuerySet:
        return self.filter(state=ApprovalState.REQUESTED)


class Approval(models.Model):
    """One approver's decision on one requirement of a change."""

    change = models.ForeignKey(
        ChangeRequest, verbose_name=_("change"), on_delete=models.CASCADE, related_name="approvals"
    )
    requirement = models.ForeignKey(
        ApprovalRequirement, verbose_name=_("requirement"), on_delete=models.CASCADE, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="change_approvals",
    )
    group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("via group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ApprovalState.choices, default=ApprovalState.REQUESTED
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Decided after the change was implemented (emergency changes).
    retrospective = models.BooleanField(_("retrospective"), default=False)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    # The e-mailed decision link carries this nonce; it is cleared when the link (or any other
    # way of deciding) is used, so each link works once.
    link_nonce = models.CharField(max_length=64, blank=True, editable=False)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(fields=["requirement", "approver"], name="approval_one_per_approver"),
        ]
        indexes = [
            models.Index(
                fields=["approver", "requested_at"],
                name="approval_pending_idx",
                condition=models.Q(state="requested"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.approver} ({self.get_state_display()})"


class MaintenanceWindow(models.Model):
    """A weekly period in which changes to a service are allowed, in a local time zone."""

    name = models.CharField(_("name"), max_length=150)
    service = models.ForeignKey(
        "slm.Service", verbose_name=_("service"), on_delete=models.CASCADE, related_name="maintenance_windows"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start (local time)"))
    end_time = models.TimeField(
        _("end (local time)"), help_text=_("At or before the start: the window ends on the next day.")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service__name", "weekday", "start_time"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")

    def __str__(self) -> str:
        return f"{self.service}: {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        if self.start_time is not None and self.start_time == self.end_time:
            raise ValidationError({"end_time": _("The window must not be empty.")})

    def to_spec(self) -> WeeklyWindow:
        return WeeklyWindow(
            id=self.pk,
            service_id=self.service_id,
            weekday=self.weekday,
            start_time=self.start_time,
            end_time=self.end_time,
            time_zone=self.time_zone,
            name=self.name,
            service_name=self.service.name,
        )


class FreezeQuerySet(models.QuerySet):
    def in_window(self, start, end) -> FreezeQuerySet:
        return self.filter(is_active=True, start__lt=end, end__gt=start)


class FreezeWindow(models.Model):
    """A blackout period (end of quarter, holidays) in which changes are not allowed."""

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    services = models.ManyToManyField(
        "slm.Service",
        verbose_name=_("services"),
        blank=True,
        related_name="freeze_windows",
        help_text=_("Empty: the freeze applies to every service."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = FreezeQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("freeze window")
        verbose_name_plural = _("freeze windows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="freeze_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})

    def to_spec(self, service_ids=None) -> FreezeSpec:
        if service_ids is None:
            service_ids = [s.pk for s in self.services.all()]
        return FreezeSpec(
            id=self.pk, name=self.name, start=self.start, end=self.end, service_ids=frozenset(service_ids)
        )
