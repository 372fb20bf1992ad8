"""Knowledge base: articles with a review lifecycle, published versions, feedback and views.

An ``Article`` holds its identity, metadata, lifecycle state, counters and its *current content*:
the working draft while it has never been published, otherwise the live (latest published)
content. Each publication freezes an ``ArticleVersion``. An edit of a live article is an
``ArticleRevision`` (at most one open per article) that is reviewed and, when published, becomes
the next version; readers keep seeing the live content meanwhile.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEntryBase
from core.roles import KNOWLEDGE_MANAGER, has_role, is_agent
from knowledge.choices import ArticleLanguage, ArticleState, Audience, LinkKind, RevisionState, ViewSource


class Tag(models.Model):
    """A free keyword on articles ("printer", "vpn", "lösenord"), used as a search filter."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user) -> ArticleQuerySet:
        """What ``user`` may read: the one permission scope of articles (UI, API, search, reports).

        End users: published articles for everyone. Agents: every published or retired article
        (retired ones stay readable for old incident links) and the drafts they wrote or own.
        Knowledge managers (the reviewers): everything.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if has_role(user, KNOWLEDGE_MANAGER):
            return self.all()
        if is_agent(user):
            return self.filter(
                Q(state__in=[ArticleState.PUBLISHED, ArticleState.RETIRED]) | Q(author=user) | Q(owner=user)
            )
        return self.filter(state=ArticleState.PUBLISHED, audience=Audience.EVERYONE)

    def searchable_by(self, user) -> ArticleQuerySet:
        """Search scope: as ``visible_to`` but without retired articles."""
        return self.visible_to(user).exclude(state=ArticleState.RETIRED)

    def published(self) -> ArticleQuerySet:
        return self.filter(state=ArticleState.PUBLISHED)

    def due_for_review(self, on=None) -> ArticleQuerySet:
        """Published articles whose review date has come (``on`` defaults to today)."""
        day = on or timezone.localdate()
        return self.filter(state=ArticleState.PUBLISHED, review_by__isnull=False, review_by__lte=day)


class Article(models.Model):
    """A knowledge article (``KB0001042``): a solution, a how-to or a known error."""

    number = models.CharField(_("number"), max_length=12, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=500, blank=True, help_text=_("One or two sentences shown in search results.")
    )
    body = models.TextField(_("body"), help_text=_("Markdown."))
    # Derived from ``body`` by the service functions: sanitised HTML and its plain text.
    body_html = models.TextField(_("body (HTML)"), blank=True, editable=False)
    body_text = models.TextField(_("body (text)"), blank=True, editable=False)
    language = models.CharField(
        _("language"), max_length=8, choices=ArticleLanguage.choices, default=ArticleLanguage.EN
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT, editable=False
    )
    category = models.ForeignKey(
        "core.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    related_categories = models.ManyToManyField(
        "core.Category", verbose_name=_("related categories"), blank=True, related_name="related_articles"
    )
    services = models.ManyToManyField(
        "slm.Service", verbose_name=_("related services"), blank=True, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="authored_articles",
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_articles",
        help_text=_("Keeps the article accurate and reviews it when it is due."),
    )
    review_by = models.DateField(
        _("review by"),
        null=True,
        blank=True,
        help_text=_("The owner is reminded to review the article then."),
    )
    # The review date the owner was last reminded of: the reminder sweep claims an article by
    # setting it to ``review_by`` with a conditional UPDATE, so each due date is reminded once.
    review_reminded_for = models.DateField(
        _("review reminder sent for"), null=True, blank=True, editable=False
    )
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    # Optimistic concurrency: every write through the services increments it; an edit based on an
    # older value is refused instead of silently overwriting someone else's change.
    lock_version = models.PositiveIntegerField(_("lock version"), default=1, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    solved_count = models.PositiveIntegerField(_("incidents solved"), default=0, editable=False)
    # Weighted tsvector (title and tags A, summary B, body C) in the article's language; kept up to
    # date by knowledge.search.update_search_vectors. Only used (and GIN-indexed) on PostgreSQL.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            models.Index(fields=["state", "audience"], name="kb_article_state_audience"),
            models.Index(fields=["owner", "review_by"], name="kb_article_owner_review"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("kb-agent-detail", args=[self.number])

    @property
    def display(self) -> str:
        return str(self)

    def get_portal_url(self) -> str:
        return reverse("kb-portal-detail", args=[self.number])

    @property
    def is_live(self) -> bool:
        return self.state == ArticleState.PUBLISHED

    @property
    def votes(self) -> int:
        return self.helpful_count + self.not_helpful_count

    @property
    def helpful_percent(self) -> int | None:
        return round(100 * self.helpful_count / self.votes) if self.votes else None

    @property
    def is_due_for_review(self) -> bool:
        return bool(self.is_live and self.review_by and self.review_by <= timezone.localdate())


class AppendOnly(models.Model):
    """Rows that are history: created once, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("This record is history and cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("This record is history and cannot be deleted."))


class ArticleVersion(AppendOnly):
    """The content of an article as published at one time: version 1, 2, … stay readable."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body"))
    body_html = models.TextField(_("body (HTML)"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=ArticleLanguage.choices)
    change_note = models.CharField(_("change note"), max_length=500, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.article.number} v{self.number}"


class ArticleRevision(models.Model):
    """A proposed edit of a published article; published, it becomes the article's next version."""

    article = models.OneToOneField(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="revision"
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body"), help_text=_("Markdown."))
    body_html = models.TextField(_("body (HTML)"), blank=True, editable=False)
    change_note = models.CharField(
        _("change note"),
        max_length=500,
        blank=True,
        help_text=_("What changed and why (kept with the version)."),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=RevisionState.choices, default=RevisionState.DRAFT, editable=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    based_on_version = models.PositiveIntegerField(_("based on version"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")

    def __str__(self) -> str:
        return f"{self.article.number} → v{self.based_on_version + 1} ({self.get_state_display()})"


class ArticleEvent(TimelineEntryBase):
    """The article's append-only history: edits, lifecycle steps, versions, incident links."""

    ticket = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="timeline"
    )

    class Meta(TimelineEntryBase.Meta):
        verbose_name = _("article history entry")
        verbose_name_plural = _("article history")


class ArticleFeedback(models.Model):
    """ "Was this helpful?": one answer per reader and article (answering again replaces it)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="feedback"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="+"
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    version = models.PositiveIntegerField(_("version read"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_feedback_one_per_reader")]
        indexes = [models.Index(fields=["updated_at"], name="kb_feedback_updated")]

    def __str__(self) -> str:
        return f"{self.article.number}: {'+' if self.helpful else '-'} {self.user}"


class ArticleView(models.Model):
    """One reading of an article. ``visit`` ties report-form readings together for deflection."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="views"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("opened from"), max_length=20, choices=ViewSource.choices)
    visit = models.CharField(
        _("report visit"),
        max_length=32,
        blank=True,
        help_text=_("Identifies one visit of the incident report form that suggested the article."),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        indexes = [
            models.Index(fields=["article", "created_at"], name="kb_view_article_at"),
            models.Index(fields=["user", "article", "created_at"], name="kb_view_user_article_at"),
            models.Index(
                fields=["created_at"],
                name="kb_view_report_form_at",
                condition=Q(source=ViewSource.REPORT_FORM),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} by {self.user_id} from {self.source}"


class ArticleIncidentLink(models.Model):
    """An article used on an incident: attached for reference, sent to the caller, or the solution.

    One row per article and incident; each use keeps its own who/when. ``solved_at`` is set while
    the incident counts as solved by the article (reopening the incident clears it), and the
    article's ``solved_count`` is the number of links with ``solved_at`` set.
    """

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="knowledge_links",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("attached by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("attached"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent to caller"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    solved_at = models.DateTimeField(_("resolved with the article"), null=True, blank=True)
    solved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article use on an incident")
        verbose_name_plural = _("article uses on incidents")
        constraints = [
            models.UniqueConstraint(fields=["article", "incident"], name="kb_link_one_per_article_incident")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ↔ {self.incident_id}"

    @property
    def kind(self) -> str:
        if self.solved_at:
            return LinkKind.SOLVED
        if self.sent_at:
            return LinkKind.SENT
        return LinkKind.ATTACHED
