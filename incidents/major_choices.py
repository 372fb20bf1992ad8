"""Enumerations of the major-incident procedure (see incidents.major), with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StepState(models.TextChoices):
    PENDING = "pending", _("Pending")
    NOTIFIED = "notified", _("Notified")
    CANCELLED = "cancelled", _("Cancelled")


class StakeholderSource(models.TextChoices):
    SERVICE_DEFAULT = "default", _("Service default")
    MANUAL = "manual", _("Added by hand")


class UpdateVisibility(models.TextChoices):
    PUBLIC = "public", _("Public (stakeholders, affected callers, portal)")
    INTERNAL = "internal", _("Stakeholders only")


class MajorAction(models.TextChoices):
    """The ``action`` recorded in the data of a major-incident timeline entry."""

    PROPOSED = "proposed", _("Proposed as major incident")
    ACCEPTED = "accepted", _("Accepted as major incident")
    REJECTED = "rejected", _("Major incident proposal rejected")
    DECLARED = "declared", _("Declared a major incident")
    ESCALATED = "escalated", _("Escalation level notified")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STATUS_UPDATE = "status_update", _("Status update")
    UPDATE_DUE = "update_due", _("Status update overdue")
    STAKEHOLDER_ADDED = "stakeholder_added", _("Stakeholder added")
    STAKEHOLDER_REMOVED = "stakeholder_removed", _("Stakeholder removed")
    AFFECTED_USER = "affected_user", _("A user reported being affected")
    CHILD_LINKED = "child_linked", _("Child incident linked")
    RESOLVED = "resolved", _("Major incident resolved")
    REOPENED = "reopened", _("Major incident reopened")
    REVIEW = "review", _("Post-incident review recorded")
