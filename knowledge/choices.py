"""Enumerations of the knowledge base, with translatable labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class RevisionState(models.TextChoices):
    """State of a proposed edit of a published article (see ``ArticleRevision``)."""

    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    AGENTS = "agents", _("Agents only")


class ArticleLanguage(models.TextChoices):
    EN = "en", _("English")
    SV = "sv", _("Swedish")


# PostgreSQL text-search configuration of each article language.
SEARCH_CONFIGS = {ArticleLanguage.EN: "english", ArticleLanguage.SV: "swedish"}


class Action(models.TextChoices):
    """Lifecycle actions; the transition table in ``knowledge.lifecycle`` says where each leads."""

    SUBMIT = "submit", _("Submit for review")
    PUBLISH = "publish", _("Publish")
    REJECT = "reject", pgettext_lazy("return an article to its author", "Reject")
    RETIRE = "retire", _("Retire")


class ViewSource(models.TextChoices):
    """Where a reader opened an article from; "report_form" views feed the deflection figures."""

    PORTAL = "portal", _("Portal")
    PORTAL_SEARCH = "portal_search", _("Portal search")
    REPORT_FORM = "report_form", _("Incident report form")
    AGENT = "agent", _("Agent UI")
    INCIDENT = "incident", _("Incident suggestions")
    API = "api", _("API")


class LinkKind(models.TextChoices):
    """How an article was used on an incident (the strongest use is kept)."""

    ATTACHED = "attached", _("Attached")
    SENT = "sent", _("Sent to caller")
    SOLVED = "solved", _("Resolved with article")
