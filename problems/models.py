"""Problems, their incident links, tasks and timeline, and the trend detector's candidates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimelineEntryBase
from core.roles import is_agent
from incidents.choices import Impact, Priority, Urgency
from problems.choices import (
    OPEN_STATES,
    Audience,
    CandidateStatus,
    GroupKind,
    ResolutionCode,
    State,
    TaskCloseCode,
    TaskState,
    TaskType,
)


class ProblemQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProblemQuerySet:
        """The one permission scope of problems: they are internal, so agents see all, others none."""
        if not is_agent(user):
            return self.none()
        return self

    def open(self) -> ProblemQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def with_incident_count(self) -> ProblemQuerySet:
        # A correlated subquery rather than JOIN + GROUP BY: the list keeps its index-friendly plan.
        counts = (
            ProblemIncident.objects.filter(problem=OuterRef("pk"))
            .order_by()
            .values("problem")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(incident_count=Coalesce(Subquery(counts), 0))

    def for_list(self) -> ProblemQuerySet:
        """What a list row shows, in a constant number of queries."""
        return self.select_related(
            "assignment_group", "assigned_to", "service", "category", "known_error_article"
        ).with_incident_count()


class Problem(models.Model):
    """The cause of one or more incidents, analysed until it is fixed or the risk is accepted."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        "slm.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    category = models.ForeignKey(
        "core.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    configuration_item = models.CharField(_("configuration item"), max_length=200, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.LOW)
    # Derived from impact x urgency through the incidents' matrix; never typed in.
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, editable=False, default=5
    )
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.NEW)
    assignment_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_problems",
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    fix_description = models.TextField(_("fix description"), blank=True)
    resolution_code = models.CharField(
        _("resolution code"), max_length=20, choices=ResolutionCode.choices, blank=True
    )
    # Why a problem was cancelled (the fix description says how a resolved one was resolved).
    resolution_notes = models.TextField(_("reason"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(pgettext_lazy("problem field", "closed"), null=True, blank=True)
    # Known error: the workaround (and symptoms) are published as a knowledge article.
    known_error = models.BooleanField(_("known error"), default=False)
    symptoms = models.TextField(
        _("symptoms"), blank=True, help_text=_("What users notice; shown first in the known error article.")
    )
    known_error_audience = models.CharField(
        _("known error audience"), max_length=16, choices=Audience.choices, default=Audience.AGENTS
    )
    known_error_at = models.DateTimeField(_("known error since"), null=True, blank=True)
    known_error_published_at = models.DateTimeField(_("known error published"), null=True, blank=True)
    # The knowledge article that publishes the known error; the article reaches its problem
    # through ``article.known_error_problem``.
    known_error_article = models.OneToOneField(
        "knowledge.Article",
        verbose_name=_("known error article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="known_error_problem",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Optimistic concurrency: every write bumps it; a write based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["state", "-id"], name="problem_state_idx"),
            models.Index(fields=["assignment_group", "state", "-id"], name="problem_group_state_idx"),
            models.Index(fields=["assigned_to", "state", "-id"], name="problem_assignee_state_idx"),
            models.Index(fields=["priority", "-id"], name="problem_priority_idx"),
            models.Index(fields=["created_at"], name="problem_created_idx"),
            models.Index(fields=["-id"], name="problem_known_error_idx", condition=Q(known_error=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=3), name="problem_impact_range"),
            models.CheckConstraint(condition=Q(urgency__gte=1, urgency__lte=3), name="problem_urgency_range"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="problem_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    def get_absolute_url(self) -> str:
        return reverse("problems:detail", kwargs={"number": self.number})

    @property
    def display(self) -> str:
        return str(self)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def etag(self) -> str:
        return f'"{self.number}-v{self.version}"'


class ProblemTimelineEntry(TimelineEntryBase):
    """One event in a problem's history (append-only)."""

    ticket = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TimelineEntryBase.Meta):
        verbose_name = _("problem timeline entry")
        verbose_name_plural = _("problem timeline entries")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="problem_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class ProblemIncident(models.Model):
    """An incident caused by a problem. An incident has at most one problem; a problem many incidents.

    The link lives in the problems app (not as a column on the incident) so that problem
    management can be added to, and migrated independently of, incident management.
    """

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="problem_link",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)
    # Which workaround text the caller was last sent (a short hash), so it is never sent twice.
    workaround_sent = models.CharField(_("workaround sent"), max_length=16, blank=True, editable=False)

    class Meta:
        ordering = ["problem", "-linked_at", "-id"]
        verbose_name = _("incident of a problem")
        verbose_name_plural = _("incidents of problems")
        indexes = [models.Index(fields=["problem", "-linked_at"], name="problem_incident_idx")]

    def __str__(self) -> str:
        return f"{self.problem_id} ← {self.incident_id}"


class ProblemTask(models.Model):
    """A small, assignable piece of investigation or fix work on a problem (PTASK…)."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="tasks"
    )
    task_type = models.CharField(_("type"), max_length=24, choices=TaskType.choices, default=TaskType.GENERAL)
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    assignment_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problem_tasks",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_problem_tasks",
    )
    state = models.CharField(_("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    close_code = models.CharField(_("close code"), max_length=16, choices=TaskCloseCode.choices, blank=True)
    close_notes = models.TextField(_("close notes"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    closed_at = models.DateTimeField(pgettext_lazy("problem field", "closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["problem", "id"]
        verbose_name = _("problem task")
        verbose_name_plural = _("problem tasks")
        indexes = [models.Index(fields=["assigned_to", "state"], name="problem_task_assignee_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def is_open(self) -> bool:
        return self.state != TaskState.CLOSED


class ProblemCandidateQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProblemCandidateQuerySet:
        if not is_agent(user):
            return self.none()
        return self

    def for_list(self) -> ProblemCandidateQuerySet:
        return self.select_related("service", "category", "problem", "dismissed_by")


class ProblemCandidate(models.Model):
    """A cluster of recent, similar incidents that the trend detector proposes as a problem.

    The detector re-finds the same cluster on every run; ``fingerprint`` (what the incidents have
    in common and the cluster's main terms) and the overlap of members recognise it, so a run never
    proposes it twice. A dismissed cluster comes back only when it has grown past
    ``dismissed_member_count``; a converted one never does.
    """

    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    group_kind = models.CharField(_("shared"), max_length=16, choices=GroupKind.choices)
    service = models.ForeignKey(
        "slm.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        "core.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    configuration_item = models.CharField(_("configuration item"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    # The cluster's main terms: stems (for recognising the cluster) and words (for people).
    terms = models.JSONField(_("main terms"), default=list, blank=True, editable=False)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    score = models.FloatField(_("score"), default=0)
    cohesion = models.FloatField(_("similarity"), default=0)
    member_count = models.PositiveIntegerField(_("incidents"), default=0)
    members = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("incidents"), related_name="problem_candidates", blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    first_incident_at = models.DateTimeField(_("first incident"), null=True, blank=True)
    last_incident_at = models.DateTimeField(_("last incident"), null=True, blank=True)
    detected_at = models.DateTimeField(_("first detected"), default=timezone.now)
    last_detected_at = models.DateTimeField(_("last detected"), default=timezone.now)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismiss_reason = models.TextField(_("reason for dismissal"), blank=True)
    dismissed_member_count = models.PositiveIntegerField(_("incidents when dismissed"), null=True, blank=True)
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="candidates",
    )
    converted_at = models.DateTimeField(_("problem opened"), null=True, blank=True)

    objects = ProblemCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "-id"]
        verbose_name = _("problem candidate")
        verbose_name_plural = _("problem candidates")
        indexes = [models.Index(fields=["status", "-score"], name="problem_candidate_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.member_count})"

    @property
    def shared_display(self) -> str:
        if self.group_kind == GroupKind.SERVICE and self.service_id:
            return str(self.service)
        if self.group_kind == GroupKind.CATEGORY and self.category_id:
            return str(self.category)
        return self.configuration_item


def _default_window_days() -> int:
    return settings.PROBLEM_TREND_WINDOW_DAYS


def _default_min_size() -> int:
    return settings.PROBLEM_TREND_MIN_SIZE


def _default_similarity() -> float:
    return settings.PROBLEM_TREND_SIMILARITY


class TrendSettings(models.Model):
    """Administrators' tuning of the trend detector; without a row the environment's defaults apply."""

    is_enabled = models.BooleanField(_("detect trends daily"), default=True)
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"),
        default=_default_window_days,
        help_text=_("Incidents created within this many days are compared."),
    )
    min_size = models.PositiveSmallIntegerField(
        _("minimum incidents"),
        default=_default_min_size,
        help_text=_("A cluster needs at least this many incidents."),
    )
    similarity = models.FloatField(
        _("minimum similarity"),
        default=_default_similarity,
        help_text=_(
            "TF-IDF cosine similarity (0-1) two short descriptions need to count as alike; 0.3-0.4 suits "
            "short texts."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("trend detection settings")
        verbose_name_plural = _("trend detection settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(similarity__gt=0, similarity__lte=1), name="trend_similarity_range"
            ),
            models.CheckConstraint(condition=Q(min_size__gte=2), name="trend_min_size_at_least_two"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="trend_window_at_least_one_day"),
        ]

    def __str__(self) -> str:
        return str(_("Trend detection settings"))

    @classmethod
    def current(cls) -> TrendSettings:
        """The row if an administrator saved one, else an unsaved instance with the env defaults."""
        row = cls.objects.order_by("pk").first()
        if row is not None:
            return row
        return cls(
            is_enabled=True,
            window_days=settings.PROBLEM_TREND_WINDOW_DAYS,
            min_size=settings.PROBLEM_TREND_MIN_SIZE,
            similarity=settings.PROBLEM_TREND_SIMILARITY,
        )
