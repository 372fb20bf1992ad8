"""States and enumerations of problem management, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    NEW = "new", _("New")
    ASSESS = "assess", _("Assess")
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", _("Root cause analysis")
    FIX_IN_PROGRESS = "fix_in_progress", _("Fix in progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# States in which the problem is still being worked (the queue's default view, "open by age").
OPEN_STATES = (State.NEW, State.ASSESS, State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS)
TERMINAL_STATES = (State.CLOSED, State.CANCELLED)


class ResolutionCode(models.TextChoices):
    FIX_APPLIED = "fix_applied", _("Fix applied")
    RISK_ACCEPTED = "risk_accepted", _("Risk accepted")
    DUPLICATE = "duplicate", _("Duplicate")
    CANCELLED = "cancelled", _("Cancelled")


class Audience(models.TextChoices):
    """Who may read the known error article (the values match the knowledge base's audiences)."""

    AGENTS = "agents", _("Agents only")
    EVERYONE = "everyone", _("Everyone")


class TaskType(models.TextChoices):
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", _("Root cause analysis")
    GENERAL = "general", _("General")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class TaskCloseCode(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    CANCELLED = "cancelled", _("Cancelled")


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    CONVERTED = "converted", _("Problem opened")


class GroupKind(models.TextChoices):
    """What the incidents of a trend cluster have in common besides similar text."""

    CONFIGURATION_ITEM = "ci", _("Configuration item")
    SERVICE = "service", _("Service")
    CATEGORY = "category", _("Category")
