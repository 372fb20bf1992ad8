"""Enumerations shared across apps, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    EN = "en", _("English")
    SV = "sv", _("Swedish")


class LineLevel(models.IntegerChoices):
    FIRST = 1, _("1st line")
    SECOND = 2, _("2nd line")
    THIRD = 3, _("3rd line")


class TimelineKind(models.TextChoices):
    COMMENT = "comment", _("Public comment")
    WORK_NOTE = "work_note", _("Work note")
    CREATED = "created", _("Created")
    FIELD_CHANGE = "field_change", _("Field change")
    STATE_CHANGE = "state_change", _("State change")
    ASSIGNMENT = "assignment", _("Assignment")
    ESCALATION = "escalation", _("Escalation")
    SLA = "sla", _("Service level")
    NOTIFICATION = "notification", _("Notification sent")
    ATTACHMENT = "attachment", _("Attachment")
    LINK = "link", _("Link")
    MAJOR = "major", _("Major incident")
    APPROVAL = "approval", _("Approval")
    KNOWLEDGE = "knowledge", _("Knowledge")
    RATING = "rating", _("Rating")
