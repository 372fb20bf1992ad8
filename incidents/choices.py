"""States and enumerations of incidents, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.ON_HOLD)
TERMINAL_STATES = (State.CLOSED, State.CANCELLED)


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", _("Awaiting caller")
    AWAITING_CHANGE = "awaiting_change", _("Awaiting change")
    AWAITING_VENDOR = "awaiting_vendor", _("Awaiting vendor")
    AWAITING_PROBLEM = "awaiting_problem", _("Awaiting problem")


class ContactChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")
    WALK_IN = "walk_in", _("Walk-in")


class ResolutionCode(models.TextChoices):
    SOLUTION_PROVIDED = "solution_provided", _("Solution provided")
    WORKAROUND_PROVIDED = "workaround_provided", _("Workaround provided")
    RESOLVED_BY_CALLER = "resolved_by_caller", _("Resolved by caller")
    RESOLVED_BY_CHANGE = "resolved_by_change", _("Resolved by change")
    RESOLVED_BY_PROBLEM = "resolved_by_problem", _("Resolved by problem")
    KNOWN_ERROR = "known_error", _("Known error")
    DUPLICATE = "duplicate", _("Duplicate")
    USER_ERROR = "user_error", _("User error")
    NO_RESOLUTION = "no_resolution", _("No resolution provided")


class Impact(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 - Critical")
    P2 = 2, _("P2 - High")
    P3 = 3, _("P3 - Moderate")
    P4 = 4, _("P4 - Low")
    P5 = 5, _("P5 - Planning")


class MajorState(models.TextChoices):
    NONE = "", _("Not major")
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    RESOLVED = "resolved", _("Resolved")
