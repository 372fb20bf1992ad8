"""People and organisation: users, organisations, desks (the SPOC), support groups, categories.

Also the shared building blocks other apps use: ticket numbering and the append-only timeline base.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import Language, LineLevel, TimelineKind


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not an IANA time zone."), params={"value": value})


class Organization(models.Model):
    """A customer organisation that end users belong to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email_domain = models.CharField(_("e-mail domain"), max_length=200, blank=True)
    share_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("When set, end users of this organisation can follow all of the organisation's tickets."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An agent or an end user. Roles are Django groups (see ``core.roles``)."""

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display(self) -> str:
        return str(self)

    @property
    def is_agent(self) -> bool:
        from core.roles import is_agent

        return is_agent(self)


class Desk(models.Model):
    """A service desk: the single point of contact for its callers (one address, one portal)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    email = models.EmailField(_("inbound e-mail address"), unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    duty_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("duty manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Receives breach escalations for P1 and P2 tickets."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    default_group = models.ForeignKey(
        "core.SupportGroup",
        verbose_name=_("default group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "The first-line group of this desk that receives new incidents no routing rule matches, "
            "from every channel."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service desk")
        verbose_name_plural = _("service desks")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        group = self.default_group
        if group is not None and (group.desk_id != self.pk or not group.is_active):
            raise ValidationError({"default_group": _("Choose an active group of this desk.")})


class SupportGroup(models.Model):
    """A resolver group (1st, 2nd or 3rd line) of a desk."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    desk = models.ForeignKey(Desk, verbose_name=_("desk"), on_delete=models.PROTECT, related_name="groups")
    line_level = models.PositiveSmallIntegerField(
        _("line"), choices=LineLevel.choices, default=LineLevel.FIRST
    )
    email = models.EmailField(_("group e-mail"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="support_groups", blank=True
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_groups",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["desk__name", "line_level", "name"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A node of the category tree (e.g. Hardware > Printer), shared by incidents, problems and knowledge."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised "Hardware > Printer" so that lists show the path without walking the tree.
    path = models.CharField(_("path"), max_length=500, editable=False, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(parent__isnull=True), name="category_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.path or self.name

    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        self.path = f"{self.parent.path} > {self.name}" if self.parent_id else self.name
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"path"}
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save(update_fields=["path"])

    def clean(self) -> None:
        node = self.parent
        while node is not None:
            if node.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            node = node.parent

    def descendant_ids(self) -> list[int]:
        """This category and everything below it (for "category and subcategories" filters)."""
        prefix = f"{self.path} > "
        ids = list(Category.objects.filter(path__startswith=prefix).values_list("pk", flat=True))
        return [self.pk, *ids]


class Sequence(models.Model):
    """Counter for ticket numbers on databases without native sequences (SQLite)."""

    name = models.CharField(max_length=20, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


class TimelineEntryBase(models.Model):
    """Append-only history of a ticket: comments, work notes, field and state changes, events.

    Each ticket app defines a concrete subclass with a ``ticket`` foreign key. Rows are never
    updated or deleted: ``save`` refuses updates and ``delete`` is refused.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=TimelineKind.choices, db_index=True)
    is_public = models.BooleanField(_("visible to the caller"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("text"), blank=True)
    # Field changes: {"field": [old, new], ...}; events: free-form structured data.
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Timeline entries are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Timeline entries are append-only."))


class IdempotencyRecord(models.Model):
    """An API write sent with an ``Idempotency-Key``, and the response it got.

    One row per user, key, method and path (a unique constraint: two parallel requests with one
    key cannot both claim it). ``status_code`` is empty while the first request runs; once it
    succeeded, a repeat gets the stored response instead of creating a second object. See
    ``core.api.idempotency``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    # Which request holds the claim: a claim left by a request that died can be taken over, and
    # the original request then finds it no longer owns it and rolls back.
    token = models.UUIDField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "method", "path"], name="core_idempotency_one_per_request"
            )
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="core_idempotency_user_age")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class TaskHeartbeat(models.Model):
    """When a periodic task last ran and last succeeded (written by Celery signals).

    ``/readyz`` and the admin home page compare these with the beat schedule: a sweep whose last
    success (or, never run, its registration) is older than three of its periods is reported, so
    a dead beat cannot stop SLA timers, the outbox or escalations silently.
    """

    name = models.CharField(_("task"), max_length=200, unique=True)
    registered_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_ok_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic task heartbeat")
        verbose_name_plural = _("periodic task heartbeats")

    def __str__(self) -> str:
        return self.name


class SweepFailure(models.Model):
    """A row that a periodic sweep could not process: logged, kept aside for a while, retried.

    One bad row (a broken calendar, a receiver that raises) must not stop a sweep for every other
    row, nor stay first in every batch: the sweep records it here, skips it until ``skip_until``
    (growing back-off) and carries on. A later success deletes the record.
    """

    sweep = models.CharField(_("sweep"), max_length=100)
    model = models.CharField(_("model"), max_length=100)
    object_id = models.BigIntegerField(_("object id"))
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_failed_at = models.DateTimeField(_("first failure"), default=timezone.now)
    failed_at = models.DateTimeField(_("last failure"), default=timezone.now)
    skip_until = models.DateTimeField(_("skipped until"))

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("sweep failure")
        verbose_name_plural = _("sweep failures")
        constraints = [
            models.UniqueConstraint(fields=["sweep", "object_id"], name="sweepfailure_unique_object"),
        ]
        indexes = [models.Index(fields=["sweep", "skip_until"], name="sweepfailure_skip_idx")]

    def __str__(self) -> str:
        return f"{self.sweep}: {self.model} {self.object_id}"
