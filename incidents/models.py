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
