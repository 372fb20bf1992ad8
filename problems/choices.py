"""States and enumerations of problem management, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    NEW = "new", pgettext_lazy("problem state", "New")
    ASSESS = "assess", pgettext_lazy("problem state", "Assess")
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", pgettext_lazy("problem state", "Root cause analysis")
    FIX_IN_PROGRESS = "fix_in_progress", pgettext_lazy("problem state", "Fix in progress")
    RESOLVED = "resolved", pgettext_lazy("problem state", "Resolved")
    CLOSED = "closed", pgettext_lazy("problem state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("problem state", "Cancelled")


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
    OPEN = "open", pgettext_lazy("problem task state", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("problem task state", "In progress")
    CLOSED = "closed", pgettext_lazy("problem task state", "Closed")


class TaskCloseCode(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    CANCELLED = "cancelled", _("Cancelled")


class CandidateStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem candidate status", "Open")
    DISMISSED = "dismissed", pgettext_lazy("problem candidate status", "Dismissed")
    CONVERTED = "converted", pgettext_lazy("problem candidate status", "Problem opened")


class GroupKind(models.TextChoices):
    """What the incidents of a trend cluster have in common besides similar text."""

    CONFIGURATION_ITEM = "ci", _("Configuration item")
    SERVICE = "service", _("Service")
    CATEGORY = "category", _("Category")
