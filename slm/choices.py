"""Enumerations of service level management, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Criticality(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AgreementKind(models.TextChoices):
    """SLA: promised to the customer; OLA: agreed between the desk and a support group."""

    SLA = "sla", _("SLA")
    OLA = "ola", _("OLA")


class Metric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", pgettext_lazy("SLA metric", "Resolution")
    UPDATE = "update", _("Update interval")


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")


class MajorCondition(models.TextChoices):
    ANY = "any", _("Any incident")
    YES = "yes", _("Major incidents only")
    NO = "no", _("Not major incidents")


class TimerState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


# Timers the sweep still has to look at (a warning or a breach may still be due).
CHECKED_STATES = (TimerState.RUNNING, TimerState.PAUSED)


class SegmentKind(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
