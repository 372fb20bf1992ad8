"""Enumerations of change enablement, with translatable labels, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class ChangeState(models.TextChoices):
    NEW = "new", _("New")
    ASSESS = "assess", _("Assess")
    AUTHORIZE = "authorize", _("Authorize")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENT = "implement", _("Implement")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# States in which a change still occupies its planned window on the calendar and can conflict.
ACTIVE_STATES = (
    ChangeState.NEW,
    ChangeState.ASSESS,
    ChangeState.AUTHORIZE,
    ChangeState.SCHEDULED,
    ChangeState.IMPLEMENT,
)
TERMINAL_STATES = (ChangeState.CLOSED, ChangeState.CANCELLED)


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Impact(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class Outcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", _("Successful with issues")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")


FAILED_OUTCOMES = (Outcome.FAILED, Outcome.BACKED_OUT)


class ApprovalStatus(models.TextChoices):
    """The change's overall approval, derived from its approval requirements."""

    NOT_REQUESTED = "not_requested", _("Not requested")
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("approval decision", "Rejected")
    NOT_REQUIRED = "not_required", _("Not required (pre-approved)")


class ApprovalState(models.TextChoices):
    """One approver's row."""

    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("approval decision", "Rejected")
    # The decision was reached without this approver, or the request was withdrawn.
    NOT_REQUIRED = "not_required", _("No longer required")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ApprovalPolicy(models.TextChoices):
    ALL = "all", _("All approvers must approve")
    ANY = "any", _("The first decision of any approver decides")
    QUORUM = "quorum", _("A quorum of approvals")


class TemplateStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", pgettext_lazy("standard change template", "Retired")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ConflictKind(models.TextChoices):
    FREEZE = "freeze", _("Freeze window")
    OUTSIDE_MAINTENANCE = "outside_maintenance", _("Outside maintenance window")
    OVERLAP_SERVICE = "overlap_service", _("Overlaps a change on the same service")
    OVERLAP_CI = "overlap_ci", _("Overlaps a change on the same configuration item")


# Risk questionnaire: each question's answers, in order from least to most risky.
class UserImpact(models.TextChoices):
    NONE = "none", _("No users notice it")
    SOME = "some", _("Some users or one team")
    MANY = "many", _("Many users or a critical service")


class Complexity(models.TextChoices):
    LOW = "low", _("Low: a few simple steps")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High: many steps, teams or systems")


class Tested(models.TextChoices):
    YES = "yes", _("Yes, fully in a test environment")
    PARTIALLY = "partially", _("Partially")
    NO = "no", _("No")


class BackoutPlan(models.TextChoices):
    YES = "yes", _("Yes, documented and feasible")
    NO = "no", _("No")


class Experience(models.TextChoices):
    ROUTINE = "routine", _("Done many times")
    SOME = "some", _("Done once or twice")
    NONE = "none", _("Never done before")
