"""Service level management: the service catalog, business calendars, SLA/OLA policies and timers.

The maths lives in :mod:`slm.businesstime` (pure); the engine that drives timers from incident
events and the sweep lives in :mod:`slm.services`. A timer keeps its history as segments
(running, paused) so that every figure can be replayed and explained.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import validate_time_zone
from incidents.choices import HoldReason, Priority
from slm import businesstime as bt
from slm.choices import (
    AgreementKind,
    Criticality,
    MajorCondition,
    Metric,
    SegmentKind,
    TicketType,
    TimerState,
    Weekday,
)

__all__ = [
    "BusinessCalendar",
    "validate_opening_hours",
    "CalendarHours",
    "Criticality",
    "Holiday",
    "Service",
    "SlaPolicy",
    "SlaTarget",
    "SlaTimer",
    "TimerSegment",
]


class Service(models.Model):
    """An IT service of the catalog that tickets refer to (e-mail, VPN, payroll…)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    desk = models.ForeignKey(
        "core.Desk",
        verbose_name=_("desk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_services",
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    support_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text=_("The group that supports the service (used by routing and OLAs)."),
    )
    calendar = models.ForeignKey(
        "slm.BusinessCalendar",
        verbose_name=_("service hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text=_("The hours in which the service is supported (reports compare demand with them)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """Weekly opening hours in one IANA time zone, with holidays; or 24×7.

    ``version`` is bumped by every edit of the calendar, its hours or its holidays, so that cached
    :class:`slm.businesstime.Calendar` snapshots are refreshed and running timers are replayed.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    is_24x7 = models.BooleanField(
        _("24×7"), default=False, help_text=_("Every instant counts; weekly hours and holidays are ignored.")
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=10,
        blank=True,
        help_text=_("ISO country code (e.g. SE) offered by the “load public holidays” action."),
    )
    # "SE:2026" for every country and year whose public holidays were loaded (by the admin action,
    # on save, or the periodic task), so each year is loaded once: a holiday an administrator
    # deletes afterwards stays deleted.
    public_holiday_years = models.JSONField(
        _("public holidays loaded"), default=list, blank=True, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # With the id and version, identifies one state of the calendar for in-process caches (an id
    # can be reused after a delete on SQLite; a timestamp of creation or last edit cannot).
    changed_at = models.DateTimeField(_("changed"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        country = (self.holiday_country or "").strip().upper()
        if country:
            import holidays as holiday_lib

            if country not in holiday_lib.list_supported_countries():
                raise ValidationError(
                    {"holiday_country": _("No public holidays are known for “%(c)s”.") % {"c": country}}
                )
            self.holiday_country = country

    def to_calendar(self) -> bt.Calendar:
        """The pure calendar of the maths module (uses prefetched hours/holidays when present)."""
        if self.is_24x7:
            return bt.Calendar.twenty_four_seven(self.time_zone)
        weekly: dict[int, list[tuple[time, time]]] = {}
        for row in self.hours.all():
            weekly.setdefault(row.weekday, []).append((row.start, row.end))
        fixed, yearly = [], []
        for holiday in self.holidays.all():
            if holiday.recurring:
                yearly.append((holiday.date.month, holiday.date.day))
            else:
                fixed.append(holiday.date)
        return bt.Calendar.from_hours(self.time_zone, weekly, holidays=fixed, yearly_holidays=yearly)

    def bump_version(self) -> None:
        BusinessCalendar.objects.filter(pk=self.pk).update(
            version=models.F("version") + 1, changed_at=timezone.now()
        )
        self.refresh_from_db(fields=["version", "changed_at"])

    @property
    def cache_key(self) -> tuple:
        return (self.pk, self.version, self.changed_at)


def _end_minutes(value: time) -> int:
    return 24 * 60 if value == time(0) else value.hour * 60 + value.minute


def _hhmm(value: time, *, is_end: bool = False) -> str:
    return "24:00" if is_end and value == time(0) else f"{value:%H:%M}"


def validate_opening_hours(spans) -> None:
    """The one rule for a calendar's weekly hours, shared by the model, the admin and the API.

    ``spans``: ``(weekday, start, end)`` triples (end 00:00 = midnight at the end of the day).
    Each span must close after it opens, and the spans of one weekday must neither repeat nor
    overlap (touching, 08:00–12:00 and 12:00–17:00, is fine). Raises a ValidationError naming
    the weekday and both spans; the pure calendar of :mod:`slm.businesstime` refuses the same.
    """
    labels = dict(Weekday.choices)
    by_day: dict[int, list[tuple[int, int, time, time]]] = {}
    for weekday, start, end in spans:
        if start is None or end is None or weekday is None:
            continue
        lo, hi = start.hour * 60 + start.minute, _end_minutes(end)
        if hi <= lo:
            raise ValidationError(
                _("%(weekday)s %(start)s–%(end)s: closing time must be after opening time.")
                % {
                    "weekday": labels.get(weekday, weekday),
                    "start": _hhmm(start),
                    "end": _hhmm(end, is_end=True),
                },
                code="empty_span",
            )
        by_day.setdefault(weekday, []).append((lo, hi, start, end))
    for weekday, rows in sorted(by_day.items()):
        rows.sort()
        for (_lo1, hi1, s1, e1), (lo2, _hi2, s2, e2) in zip(rows, rows[1:], strict=False):
            if lo2 < hi1:
                raise ValidationError(
                    _("Opening hours on %(weekday)s overlap: %(first)s and %(second)s.")
                    % {
                        "weekday": labels.get(weekday, weekday),
                        "first": f"{_hhmm(s1)}–{_hhmm(e1, is_end=True)}",
                        "second": f"{_hhmm(s2)}–{_hhmm(e2, is_end=True)}",
                    },
                    code="overlap",
                )


class CalendarHours(models.Model):
    """One opening span of a weekday, in the calendar's local wall time (end 00:00 = 24:00)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        end = "24:00" if self.end == time(0) else f"{self.end:%H:%M}"
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{end}"

    # Set by the admin inline formset, which checks the submitted rows against each other (the
    # stored siblings may be changing in the same submission).
    siblings_checked = False

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.end != time(0) and self.end <= self.start:
            raise ValidationError({"end": _("Closing time must be after opening time.")})
        if self.siblings_checked or self.calendar_id is None or None in (self.weekday, self.start, self.end):
            return
        siblings = CalendarHours.objects.filter(calendar_id=self.calendar_id, weekday=self.weekday)
        if self.pk:
            siblings = siblings.exclude(pk=self.pk)
        spans = [(self.weekday, self.start, self.end), *siblings.values_list("weekday", "start", "end")]
        try:
            validate_opening_hours(spans)
        except ValidationError as exc:
            raise ValidationError({"start": exc.messages}) from None


class Holiday(models.Model):
    """A closed local date of a calendar; ``recurring`` closes the same day every year."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    recurring = models.BooleanField(_("every year"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


def _default_pause_reasons() -> list[str]:
    return [HoldReason.AWAITING_CALLER.value]


def _default_duty_priorities() -> list[int]:
    return [1, 2]


class SlaPolicyQuerySet(models.QuerySet):
    def active(self) -> SlaPolicyQuerySet:
        return self.filter(is_active=True)


class SlaPolicy(models.Model):
    """Which tickets a service level applies to, on which calendar, with which targets.

    Policies of one kind are tried by ``order`` (then id); the first whose conditions all hold
    applies. An empty condition matches anything.
    """

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=3, choices=AgreementKind.choices, default=AgreementKind.SLA)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions
    ticket_type = models.CharField(
        _("ticket type"), max_length=20, choices=TicketType.choices, blank=True, help_text=_("Empty: any.")
    )
    desk = models.ForeignKey(
        "core.Desk", verbose_name=_("desk"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "core.Category",
        verbose_name=_("category (and below)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    priorities = models.JSONField(_("priorities"), default=list, blank=True, help_text=_("Empty: any."))
    applies_to_major = models.CharField(
        _("major incidents"), max_length=3, choices=MajorCondition.choices, default=MajorCondition.ANY
    )
    support_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For OLAs: the support group the agreement is with."),
    )
    # How time is counted
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warning at (%)"), default=75, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    pause_hold_reasons = models.JSONField(
        _("pause while on hold for"),
        default=_default_pause_reasons,
        blank=True,
        help_text=_("Hold reasons that pause resolution and update timers."),
    )
    # Who hears of a breach
    notify_assignee = models.BooleanField(_("notify the assignee"), default=True)
    notify_group_manager = models.BooleanField(_("notify the group manager"), default=True)
    duty_manager_priorities = models.JSONField(
        _("notify the desk's duty manager for priorities"), default=_default_duty_priorities, blank=True
    )
    escalation_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("also notify users"), blank=True, related_name="+"
    )
    escalation_groups = models.ManyToManyField(
        "core.SupportGroup", verbose_name=_("also notify groups"), blank=True, related_name="+"
    )
    escalation_addresses = models.TextField(
        _("also notify addresses"), blank=True, help_text=_("E-mail addresses, one per line.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = SlaPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "order", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        bad = [p for p in self.priorities or [] if p not in Priority.values]
        if bad or not isinstance(self.priorities, list):
            errors["priorities"] = _("Priorities must be a list of 1 to 5.")
        if not isinstance(self.pause_hold_reasons, list) or any(
            r not in HoldReason.values for r in self.pause_hold_reasons or []
        ):
            errors["pause_hold_reasons"] = _("Unknown hold reason.")
        if not isinstance(self.duty_manager_priorities, list) or any(
            p not in Priority.values for p in self.duty_manager_priorities or []
        ):
            errors["duty_manager_priorities"] = _("Priorities must be a list of 1 to 5.")
        if self.kind == AgreementKind.OLA and not self.support_group_id:
            errors["support_group"] = _("An OLA is agreed with a support group: choose one.")
        if errors:
            raise ValidationError(errors)

    @property
    def address_list(self) -> list[str]:
        return [
            line.strip() for line in self.escalation_addresses.replace(",", "\n").splitlines() if line.strip()
        ]

    def bump_version(self) -> None:
        SlaPolicy.objects.filter(pk=self.pk).update(version=models.F("version") + 1)
        self.refresh_from_db(fields=["version"])


class SlaTarget(models.Model):
    """A target of a policy for one metric and one priority (or any priority), in business minutes."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True, help_text=_("Empty: any priority.")
    )
    target_minutes = models.PositiveIntegerField(
        _("target (business minutes)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["metric", "priority"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "priority"], name="slatarget_unique_metric_priority"
            ),
            models.UniqueConstraint(
                fields=["policy", "metric"],
                condition=Q(priority__isnull=True),
                name="slatarget_unique_metric_any_priority",
            ),
        ]

    def __str__(self) -> str:
        who = self.get_priority_display() if self.priority else _("any priority")
        return f"{self.get_metric_display()} {who}: {self.target_minutes} min"


class SlaTimerQuerySet(models.QuerySet):
    def active(self) -> SlaTimerQuerySet:
        """Timers still counting (running or paused, breached or not)."""
        return self.filter(stopped_at__isnull=True).exclude(state=TimerState.CANCELLED)

    def for_display(self) -> SlaTimerQuerySet:
        """Everything a timer's figures and explanation need, in a constant number of queries."""
        return self.select_related("policy", "calendar").prefetch_related(
            "segments", "calendar__hours", "calendar__holidays"
        )


class SlaTimer(models.Model):
    """One measured target of one ticket: response, resolution, or one cycle of the update interval.

    Figures are replayed from ``segments`` on ``calendar``: elapsed = business time of the running
    segments. ``due_at``/``warning_at`` are stored (None while paused) so that the sweep finds due
    timers through the partial index on ``next_check_at``. A breached timer keeps counting until it
    stops, so reports show by how much the target was missed.
    """

    # FK indexes are left out where another index leads with the column or the lookup is a rare
    # admin action: the sweep rewrites thousands of rows a minute and pays for every index.
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="sla_timers",
        db_index=False,  # slatimer_unique_cycle leads with incident
    )
    kind = models.CharField(_("kind"), max_length=3, choices=AgreementKind.choices, default=AgreementKind.SLA)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="timers"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="timers"
    )
    support_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    warn_percent = models.PositiveSmallIntegerField(_("warning at (%)"), default=75)
    state = models.CharField(
        _("state"), max_length=10, choices=TimerState.choices, default=TimerState.RUNNING
    )
    is_paused = models.BooleanField(_("paused"), default=False)
    started_at = models.DateTimeField(_("started"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warning_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(_("business seconds elapsed"), default=0)
    elapsed_at = models.DateTimeField(_("elapsed as of"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warning reached"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    breach_reason = models.TextField(_("breach reason"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = SlaTimerQuerySet.as_manager()

    class Meta:
        ordering = ["incident_id", "kind", "metric", "cycle", "id"]
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        indexes = [
            # The sweep's lookup: only timers that may still warn or breach are in this index.
            models.Index(
                fields=["next_check_at"],
                name="slatimer_next_check_idx",
                condition=Q(state__in=["running", "paused"]),
            ),
            # "Breaching soonest": the earliest due of an incident's counting timers.
            models.Index(
                fields=["incident", "due_at"],
                name="slatimer_incident_due_idx",
                condition=Q(stopped_at__isnull=True),
            ),
            # Reports: timers stopped within a period, breaches within a period.
            models.Index(
                fields=["metric", "stopped_at"],
                name="slatimer_metric_stopped_idx",
                condition=Q(stopped_at__isnull=False),
            ),
            models.Index(
                fields=["breached_at"], name="slatimer_breached_idx", condition=Q(breached_at__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind", "metric"],
                condition=Q(stopped_at__isnull=True) & ~Q(state="cancelled"),
                name="slatimer_one_active_per_metric",
            ),
            models.UniqueConstraint(
                fields=["incident", "kind", "metric", "cycle"], name="slatimer_unique_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} {self.metric}#{self.cycle} {self.state}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None and self.state != TimerState.CANCELLED

    @property
    def breached(self) -> bool:
        return self.state == TimerState.BREACHED


class TimerSegment(models.Model):
    """A stretch of a timer's life: running (counts business time) or paused. ``end`` None = now."""

    timer = models.ForeignKey(SlaTimer, on_delete=models.CASCADE, related_name="segments", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind.choices)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("timer segment")
        verbose_name_plural = _("timer segments")
        indexes = [models.Index(fields=["timer", "start"], name="timersegment_timer_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}" if self.end else self.kind
