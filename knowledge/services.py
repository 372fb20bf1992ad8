"""Domain operations of the knowledge base.

Every change goes through these functions (views, API, admin actions, tasks): each is atomic,
takes the acting user as keyword-only ``by``, checks who may do it, writes the article's
timeline and the notification outbox rows, and keeps the search vector up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.choices import TimelineKind
from core.numbering import next_number
from core.roles import KNOWLEDGE_MANAGER, has_role, is_agent
from knowledge import lifecycle
from knowledge.choices import Action, ArticleState, Audience, RevisionState, ViewSource
from knowledge.models import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleIncidentLink,
    ArticleRevision,
    ArticleVersion,
    ArticleView,
    Tag,
)
from knowledge.rendering import plain_text, render_markdown
from knowledge.search import update_search_vectors
from notifications.services import notify_many

CONTENT_FIELDS = ("title", "summary", "body")
SCALAR_FIELDS = ("language", "audience", "category", "owner", "review_by")
M2M_FIELDS = ("related_categories", "services", "tags")
METADATA_FIELDS = SCALAR_FIELDS + M2M_FIELDS


class StaleEdit(ValidationError):
    """The article changed since the editor loaded it (optimistic concurrency)."""

    def __init__(self):
        super().__init__(
            _("Someone else changed this article after you opened it. Reload it and apply your changes."),
            code="stale",
        )


# --- Who may do what ----------------------------------------------------------------------------


def is_manager(user) -> bool:
    return has_role(user, KNOWLEDGE_MANAGER)


def is_editor(article: Article, user) -> bool:
    """The article's author, its owner, or a knowledge manager."""
    if not is_agent(user):
        return False
    return is_manager(user) or user.pk in (article.author_id, article.owner_id)


def actor(article: Article, user) -> lifecycle.Actor:
    return lifecycle.Actor(is_editor=is_editor(article, user), is_manager=is_manager(user))


def pending_revision(article: Article) -> ArticleRevision | None:
    try:
        return article.revision
    except ArticleRevision.DoesNotExist:
        return None


def can_edit_content(article: Article, user) -> bool:
    """May ``user`` change the text? Drafts: editors. Live articles: any agent proposes a revision,
    but an open revision belongs to its author (and the article's editors)."""
    mode = lifecycle.content_edit_mode(article.state)
    if mode == "direct":
        return is_editor(article, user)
    if mode == "revision":
        revision = pending_revision(article)
        if revision is None:
            return is_agent(user)
        return revision.author_id == user.pk or is_editor(article, user)
    return False


def can_edit_metadata(article: Article, user) -> bool:
    return article.state != ArticleState.RETIRED and is_editor(article, user)


def available_actions(article: Article, user) -> list[str]:
    """Lifecycle buttons for ``user``: of the article, or of its open revision when it is live."""
    who = actor(article, user)
    if article.state == ArticleState.PUBLISHED:
        actions = []
        revision = pending_revision(article)
        if revision is not None:
            revision_actor = lifecycle.Actor(
                is_editor=who.is_editor or revision.author_id == user.pk, is_manager=who.is_manager
            )
            actions = [
                a for a in lifecycle.available_actions(revision.state, revision_actor) if a != Action.RETIRE
            ]
        if lifecycle.may_perform(Action.RETIRE, who):
            actions.append(Action.RETIRE)
        return actions
    return lifecycle.available_actions(article.state, who)


# --- Helpers ------------------------------------------------------------------------------------


def _event(article: Article, *, by, kind: str, body: str = "", data: dict | None = None) -> ArticleEvent:
    return ArticleEvent.objects.create(ticket=article, kind=kind, author=by, body=body, data=data or {})


def _knowledge_managers():
    return get_user_model().objects.filter(groups__name=KNOWLEDGE_MANAGER, is_active=True).distinct()


def _notify(template: str, recipients, *, article: Article, event: ArticleEvent, by, **extra) -> None:
    people = [user for user in recipients if user is not None and user.pk != getattr(by, "pk", None)]
    if not people:
        return
    notify_many(
        template=template,
        recipients=people,
        context={
            "number": article.number,
            "title": article.title,
            "url": article.get_absolute_url(),
            "actor": str(by) if by else "",
            **extra,
        },
        dedupe_key=f"kb-event-{event.pk}",
        thread=article.number,
    )


def _forget_revision(article: Article) -> None:
    """Drop the cached reverse one-to-one after deleting the revision."""
    article._state.fields_cache.pop("revision", None)


def _render(body: str) -> tuple[str, str]:
    html = render_markdown(body)
    return html, plain_text(html)


def _tags_from_names(names) -> list[Tag]:
    tags = []
    for raw in names or ():
        name = " ".join(str(raw).split())[:50]
        slug = slugify(name, allow_unicode=True)[:60]
        if not slug:
            continue
        tag, _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name.lower()})
        tags.append(tag)
    return tags


def _require_agent(user) -> None:
    if not is_agent(user):
        raise PermissionDenied(_("Only agents can write knowledge articles."))


def _lock(article: Article) -> Article:
    """Re-read the article under a row lock so concurrent steps serialise."""
    return Article.objects.select_for_update().get(pk=article.pk)


def _check_lock_version(current: Article, expected: int | None) -> None:
    if expected is not None and int(expected) != current.lock_version:
        raise StaleEdit()


def _bump(article: Article, fields: list[str]) -> None:
    article.lock_version = F("lock_version") + 1
    article.updated_at = timezone.now()
    article.save(update_fields=[*fields, "lock_version", "updated_at"])
    article.refresh_from_db(fields=["lock_version"])


def default_review_date() -> date | None:
    days = settings.KB_REVIEW_INTERVAL_DAYS
    return timezone.localdate() + timedelta(days=days) if days else None


def _display(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- Creating and editing -----------------------------------------------------------------------


@transaction.atomic
def create_article(
    *,
    by,
    title: str,
    body: str,
    summary: str = "",
    language: str = "en",
    audience: str = Audience.EVERYONE,
    category=None,
    owner=None,
    review_by: date | None = None,
    related_categories=(),
    services=(),
    tags=(),
) -> Article:
    """A new draft written by ``by`` (an agent); ``owner`` defaults to the author."""
    _require_agent(by)
    if owner is not None and not is_agent(owner):
        raise ValidationError({"owner": _("The owner must be an agent.")})
    body_html, body_text = _render(body)
    article = Article.objects.create(
        number=next_number("KB"),
        title=title.strip(),
        summary=(summary or "").strip(),
        body=body,
        body_html=body_html,
        body_text=body_text,
        language=language,
        audience=audience,
        category=category,
        author=by,
        owner=owner or by,
        review_by=review_by,
    )
    article.related_categories.set(related_categories or ())
    article.services.set(services or ())
    article.tags.set(_tags_from_names(tags))
    _event(article, by=by, kind=TimelineKind.CREATED, body=_("Draft created."))
    update_search_vectors([article.pk])
    return article


@dataclass
class EditResult:
    article: Article
    revision: ArticleRevision | None = None
    changed: list[str] = field(default_factory=list)


@transaction.atomic
def edit_article(
    article: Article, *, by, changes: dict, expected_lock_version: int | None = None
) -> EditResult:
    """Apply an editor's changes.

    Drafts (and articles in review) change in place. For a published article the metadata
    changes in place, while new text becomes (or updates) its open revision, to be reviewed and
    published as the next version. ``changes`` holds any of the content fields, the metadata
    fields and ``change_note``; tags are names. Raises ``StaleEdit`` when the article changed
    since ``expected_lock_version`` was read.
    """
    _require_agent(by)
    current = _lock(article)
    _check_lock_version(current, expected_lock_version)
    mode = lifecycle.content_edit_mode(current.state)
    if mode is None:
        raise ValidationError(_("A retired article cannot be edited; write a new one instead."))

    content = {k: changes[k] for k in CONTENT_FIELDS if k in changes}
    metadata = {k: changes[k] for k in METADATA_FIELDS if k in changes}
    changed_meta = _changed_metadata(current, metadata)
    if changed_meta and not can_edit_metadata(current, by):
        raise PermissionDenied(
            _("Only the article's author, owner or a knowledge manager can change its details.")
        )
    if (
        current.state == ArticleState.PUBLISHED
        and "audience" in changed_meta
        and metadata["audience"] == Audience.EVERYONE
        and not is_manager(by)
    ):
        raise PermissionDenied(
            _("Only a knowledge manager can make a published article visible to everyone.")
        )
    if "owner" in changed_meta and not is_agent(metadata["owner"]):
        raise ValidationError({"owner": _("The owner must be an agent.")})

    result = EditResult(article=current)
    log_content: dict = {}
    if mode == "direct":
        changed_content = [k for k, v in content.items() if (v or "") != getattr(current, k)]
        if changed_content and not can_edit_content(current, by):
            raise PermissionDenied(
                _("Only the article's author, owner or a knowledge manager can edit this draft.")
            )
        for key in changed_content:
            if key != "body":  # short fields keep old → new on the timeline; the body is diffed
                log_content[key] = [getattr(current, key), content[key]]
            setattr(current, key, content[key])
        if "body" in changed_content:
            current.body_html, current.body_text = _render(current.body)
        result.changed = changed_content + list(changed_meta)
    else:
        result.revision = _save_revision(current, by=by, content=content, note=changes.get("change_note", ""))
        result.changed = list(changed_meta) + (["revision"] if result.revision else [])

    log = dict(log_content)
    for key in changed_meta:
        if key in M2M_FIELDS:
            continue
        log[key] = [_display(getattr(current, key)), _display(metadata[key])]
        setattr(current, key, metadata[key])
    for key in (k for k in changed_meta if k in M2M_FIELDS):
        if key == "tags":
            old = sorted(t.name for t in current.tags.all())
            current.tags.set(_tags_from_names(metadata["tags"]))
            log["tags"] = [", ".join(old), ", ".join(sorted(t.name for t in current.tags.all()))]
        else:
            getattr(current, key).set(metadata[key])
            log[key] = [None, ", ".join(str(x) for x in metadata[key])]

    if not result.changed:
        return result
    scalar = [k for k in result.changed if k in CONTENT_FIELDS or k in SCALAR_FIELDS]
    if "body" in scalar:
        scalar += ["body_html", "body_text"]
    _bump(current, scalar)
    if mode == "direct":
        for key in (k for k in result.changed if k in CONTENT_FIELDS):
            log.setdefault(key, None)
    if log:
        _event(current, by=by, kind=TimelineKind.FIELD_CHANGE, data={"changed": sorted(log), "fields": log})
    # The live text of a published article only changes when a revision is published.
    text_changed = mode == "direct" and bool(set(CONTENT_FIELDS) & set(result.changed))
    if text_changed or {"tags", "language"} & set(changed_meta):
        update_search_vectors([current.pk])
    return result


def _changed_metadata(article: Article, metadata: dict) -> list[str]:
    changed = []
    for key, value in metadata.items():
        if key == "tags":
            new = sorted(
                {t for t in (slugify(" ".join(str(n).split()), allow_unicode=True) for n in value) if t}
            )
            if new != sorted(article.tags.values_list("slug", flat=True)):
                changed.append(key)
        elif key in M2M_FIELDS:
            new_ids = sorted(getattr(v, "pk", v) for v in value)
            if new_ids != sorted(getattr(article, key).values_list("pk", flat=True)):
                changed.append(key)
        else:
            old = getattr(article, f"{key}_id") if key in ("category", "owner") else getattr(article, key)
            new = getattr(value, "pk", value) if key in ("category", "owner") else value
            if (old or None) != (new or None):
                changed.append(key)
    return changed


def _save_revision(article: Article, *, by, content: dict, note: str) -> ArticleRevision | None:
    """Create or update the open revision of a live article with new text (None: no change)."""
    revision = pending_revision(article)
    base = revision or article
    values = {k: content.get(k, getattr(base, k)) or "" for k in CONTENT_FIELDS}
    note = (note or "").strip()
    if all(values[k] == getattr(base, k) for k in CONTENT_FIELDS) and (
        revision is None or not note or note == revision.change_note
    ):
        return None
    if not can_edit_content(article, by):
        raise PermissionDenied(_("%(name)s is already revising this article.") % {"name": revision.author})
    now = timezone.now()
    if revision is None:
        revision = ArticleRevision(
            article=article, author=by, based_on_version=article.version, created_at=now
        )
        kind_text = _("Revision started.")
    else:
        if revision.state == RevisionState.REVIEW and not is_manager(by) and revision.author_id != by.pk:
            raise PermissionDenied(_("The revision is in review."))
        kind_text = _("Revision updated.")
    revision.title, revision.summary, revision.body = values["title"], values["summary"], values["body"]
    revision.body_html = render_markdown(revision.body)
    if note:
        revision.change_note = note[:500]
    revision.updated_at = now
    revision.save()
    _event(article, by=by, kind=TimelineKind.KNOWLEDGE, body=kind_text, data={"revision": revision.pk})
    return revision


# --- Lifecycle ----------------------------------------------------------------------------------


@transaction.atomic
def perform_action(article: Article, *, by, action: str, reason: str = "") -> Article:
    """Take one lifecycle step (``Action``): of the article, or of its open revision when live.

    Raises ``PermissionDenied`` when ``by`` may not take it and ``ValidationError`` when the step
    is not possible from the current state (or a required reason is missing).
    """
    current = _lock(article)
    reason = (reason or "").strip()
    if action in lifecycle.REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("Give a reason: the author sees it.")})
    if current.state == ArticleState.PUBLISHED and action in (Action.SUBMIT, Action.PUBLISH, Action.REJECT):
        return _revision_action(current, by=by, action=action, reason=reason)
    try:
        target = lifecycle.next_state(current.state, action)
    except lifecycle.TransitionError:
        raise ValidationError(
            _("“%(action)s” is not possible for an article that is %(state)s.")
            % {"action": Action(action).label, "state": current.get_state_display().lower()},
            code="transition",
        )
    if not lifecycle.may_perform(action, actor(current, by)):
        raise PermissionDenied(
            _("You may not take the step “%(action)s” on this article.") % {"action": Action(action).label}
        )

    old_state = current.state
    current.state = target
    fields = ["state"]
    now = timezone.now()
    if action == Action.PUBLISH:
        current.version += 1
        current.published_at = now
        if current.review_by is None:
            current.review_by = default_review_date()
        fields += ["version", "published_at", "review_by"]
        ArticleVersion.objects.create(
            article=current,
            number=current.version,
            title=current.title,
            summary=current.summary,
            body=current.body,
            body_html=current.body_html,
            language=current.language,
            change_note=_("First version."),
            written_by=current.author,
            published_by=by,
            published_at=now,
        )
    elif action == Action.RETIRE:
        current.retired_at = now
        fields.append("retired_at")
    _bump(current, fields)
    event = _event(
        current,
        by=by,
        kind=TimelineKind.STATE_CHANGE,
        body=reason,
        data={"state": [old_state, target], "action": action, "version": current.version},
    )
    if action == Action.SUBMIT:
        _notify("kb_review_requested", _knowledge_managers(), article=current, event=event, by=by)
    elif action == Action.PUBLISH:
        _notify(
            "kb_published",
            {current.author, current.owner},
            article=current,
            event=event,
            by=by,
            version=current.version,
        )
    elif action == Action.REJECT:
        _notify(
            "kb_rejected", {current.author, current.owner}, article=current, event=event, by=by, reason=reason
        )
    elif action == Action.RETIRE:
        _notify("kb_retired", {current.owner}, article=current, event=event, by=by, reason=reason)
    return current


def _revision_action(article: Article, *, by, action: str, reason: str) -> Article:
    revision = pending_revision(article)
    if revision is None:
        raise ValidationError(
            _("This article is already published; edit it to propose a new version."), code="transition"
        )
    try:
        target = lifecycle.next_state(revision.state, action)
    except lifecycle.TransitionError:
        raise ValidationError(
            _("“%(action)s” is not possible for a revision that is %(state)s.")
            % {"action": Action(action).label, "state": revision.get_state_display().lower()},
            code="transition",
        )
    who = actor(article, by)
    who = lifecycle.Actor(is_editor=who.is_editor or revision.author_id == by.pk, is_manager=who.is_manager)
    if not lifecycle.may_perform(action, who):
        raise PermissionDenied(
            _("You may not take the step “%(action)s” on this revision.") % {"action": Action(action).label}
        )
    now = timezone.now()
    if action == Action.PUBLISH:
        return _publish_revision(article, revision, by=by, now=now)
    old_state = revision.state
    revision.state = target
    revision.updated_at = now
    if action == Action.SUBMIT:
        revision.submitted_at = now
    revision.save(update_fields=["state", "updated_at", "submitted_at"])
    _bump(article, [])
    event = _event(
        article,
        by=by,
        kind=TimelineKind.KNOWLEDGE,
        body=reason,
        data={
            "revision_state": [old_state, target],
            "action": action,
            "revision_of_version": article.version,
        },
    )
    if action == Action.SUBMIT:
        _notify(
            "kb_review_requested", _knowledge_managers(), article=article, event=event, by=by, revision=True
        )
    else:
        _notify(
            "kb_rejected",
            {revision.author},
            article=article,
            event=event,
            by=by,
            reason=reason,
            revision=True,
        )
    return article


def _publish_revision(article: Article, revision: ArticleRevision, *, by, now) -> Article:
    old_version = article.version
    article.title, article.summary, article.body = revision.title, revision.summary, revision.body
    article.body_html, article.body_text = _render(revision.body)
    article.version = old_version + 1
    article.published_at = now
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        summary=article.summary,
        body=article.body,
        body_html=article.body_html,
        language=article.language,
        change_note=revision.change_note,
        written_by=revision.author,
        published_by=by,
        published_at=now,
    )
    author = revision.author
    revision.delete()
    _forget_revision(article)
    _bump(article, ["title", "summary", "body", "body_html", "body_text", "version", "published_at"])
    event = _event(
        article,
        by=by,
        kind=TimelineKind.KNOWLEDGE,
        body=_("Version %(number)s published.") % {"number": article.version},
        data={"version": [old_version, article.version], "action": Action.PUBLISH},
    )
    update_search_vectors([article.pk])
    _notify(
        "kb_published", {author, article.owner}, article=article, event=event, by=by, version=article.version
    )
    return article


@transaction.atomic
def discard_revision(article: Article, *, by) -> None:
    """Drop the open revision of a live article (its author, the article's editors)."""
    current = _lock(article)
    revision = pending_revision(current)
    if revision is None:
        raise ValidationError(_("There is no open revision."), code="transition")
    if revision.author_id != by.pk and not is_editor(current, by):
        raise PermissionDenied(_("Only the revision's author or the article's editors can discard it."))
    revision.delete()
    _forget_revision(current)
    _bump(current, [])
    _event(
        current, by=by, kind=TimelineKind.KNOWLEDGE, body=_("Revision discarded."), data={"action": "discard"}
    )


@transaction.atomic
def confirm_review(article: Article, *, by, next_review: date | None = None) -> Article:
    """The owner (or a knowledge manager) confirms a live article is still right: next review date."""
    current = _lock(article)
    if current.state != ArticleState.PUBLISHED:
        raise ValidationError(_("Only published articles are reviewed."), code="transition")
    if not is_editor(current, by):
        raise PermissionDenied(_("Only the article's owner or a knowledge manager can confirm its review."))
    if next_review is not None and next_review <= timezone.localdate():
        raise ValidationError({"next_review": _("The next review date must be in the future.")})
    old = current.review_by
    current.review_by = next_review or default_review_date() or timezone.localdate() + timedelta(days=365)
    _bump(current, ["review_by"])
    _event(
        current,
        by=by,
        kind=TimelineKind.FIELD_CHANGE,
        body=_("Reviewed: still accurate."),
        data={
            "changed": ["review_by"],
            "fields": {"review_by": [_display(old), _display(current.review_by)]},
        },
    )
    return current


# --- Reading, feedback --------------------------------------------------------------------------


def record_view(article: Article, *, by, source: str, visit: str = "") -> ArticleView | None:
    """Count a reading. The same reader re-opening the same article from the same place within
    ``KB_VIEW_DEDUPE_MINUTES`` is not counted again (reloads do not inflate the figures)."""
    if source not in ViewSource.values:
        source = ViewSource.PORTAL
    visit = "".join(ch for ch in (visit or "") if ch.isalnum())[:32]
    user = by if getattr(by, "is_authenticated", False) else None
    now = timezone.now()
    if user is not None:
        since = now - timedelta(minutes=settings.KB_VIEW_DEDUPE_MINUTES)
        recent = ArticleView.objects.filter(article=article, user=user, source=source, created_at__gte=since)
        if source == ViewSource.REPORT_FORM:
            recent = recent.filter(visit=visit)
        if recent.exists():
            return None
    with transaction.atomic():
        view = ArticleView.objects.create(
            article=article, user=user, source=source, visit=visit, created_at=now
        )
        Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    return view


@transaction.atomic
def record_feedback(article: Article, *, by, helpful: bool, comment: str = "") -> ArticleFeedback:
    """ "Was this helpful?" One answer per reader; answering again replaces the earlier answer."""
    if article.state != ArticleState.PUBLISHED:
        raise ValidationError(_("Only published articles can be rated."), code="state")
    if not Article.objects.visible_to(by).filter(pk=article.pk).exists():
        raise PermissionDenied
    comment = (comment or "").strip()[:2000]
    now = timezone.now()
    existing = ArticleFeedback.objects.select_for_update().filter(article=article, user=by).first()
    counters = {}
    if existing is None:
        feedback = ArticleFeedback.objects.create(
            article=article,
            user=by,
            helpful=helpful,
            comment=comment,
            version=article.version,
            created_at=now,
            updated_at=now,
        )
        counters["helpful_count" if helpful else "not_helpful_count"] = 1
    else:
        if existing.helpful != helpful:
            counters["helpful_count"] = 1 if helpful else -1
            counters["not_helpful_count"] = -1 if helpful else 1
        existing.helpful, existing.version, existing.updated_at = helpful, article.version, now
        if comment:
            existing.comment = comment
        existing.save(update_fields=["helpful", "comment", "version", "updated_at"])
        feedback = existing
    if counters:
        Article.objects.filter(pk=article.pk).update(**{k: F(k) + v for k, v in counters.items()})
    if comment:
        event = _event(
            article,
            by=by,
            kind=TimelineKind.RATING,
            body=comment,
            data={"helpful": helpful, "feedback": feedback.pk},
        )
        if not helpful:
            # Actionable feedback: the owner hears about a "not helpful" with a reason.
            _notify("kb_feedback", {article.owner}, article=article, event=event, by=by, comment=comment)
    return feedback


def remind_review_due(*, today: date | None = None) -> int:
    """Remind owners of published articles whose review date has come; once per review date.

    Each article is claimed with a conditional UPDATE before notifying, so overlapping sweeps
    (or a retried task) never remind twice. Returns how many reminders were written.
    """
    day = today or timezone.localdate()
    due = (
        Article.objects.due_for_review(day)
        .exclude(review_reminded_for=F("review_by"))
        .select_related("owner")
        .order_by("review_by", "pk")
    )
    sent = 0
    for article in due[:1000]:
        with transaction.atomic():
            claimed = (
                Article.objects.filter(pk=article.pk, review_by=article.review_by)
                .exclude(review_reminded_for=article.review_by)
                .update(review_reminded_for=article.review_by)
            )
            if not claimed:
                continue
            event = _event(
                article,
                by=None,
                kind=TimelineKind.KNOWLEDGE,
                body=_("Review due: the owner was reminded."),
                data={"review_by": _display(article.review_by)},
            )
            _notify(
                "kb_review_due",
                {article.owner},
                article=article,
                event=event,
                by=None,
                review_by=_display(article.review_by),
            )
            sent += 1
    return sent


# --- Articles on incidents ----------------------------------------------------------------------


def _usable_on_incident(article: Article, incident, by) -> None:
    from incidents.models import Incident

    _require_agent(by)
    if article.state != ArticleState.PUBLISHED:
        raise ValidationError(_("Only published articles can be used on incidents."), code="state")
    if not Article.objects.visible_to(by).filter(pk=article.pk).exists():
        raise PermissionDenied
    if not Incident.objects.visible_to(by).filter(pk=incident.pk).exists():
        raise PermissionDenied


def _link(article: Article, incident, by) -> tuple[ArticleIncidentLink, bool]:
    link, created = ArticleIncidentLink.objects.select_for_update().get_or_create(
        article=article, incident=incident, defaults={"linked_by": by}
    )
    return link, created


def _portal_link(article: Article) -> str:
    return f"{settings.SITE_URL}{article.get_portal_url()}"


@transaction.atomic
def attach_to_incident(article: Article, incident, *, by) -> ArticleIncidentLink:
    """Attach a published article to an incident for reference (an internal work note records it)."""
    from incidents import services as incident_services

    _usable_on_incident(article, incident, by)
    link, created = _link(article, incident, by)
    if created:
        with translation.override(settings.LANGUAGE_CODE):
            note = _("Knowledge article %(number)s attached: %(title)s") % {
                "number": article.number,
                "title": article.title,
            }
        incident_services.add_comment(incident, by=by, body=note, public=False)
        _event(
            article,
            by=by,
            kind=TimelineKind.LINK,
            body=_("Attached to %(incident)s.") % {"incident": incident.number},
            data={"incident": incident.number},
        )
    return link


@transaction.atomic
def send_to_caller(article: Article, incident, *, by, message: str = "") -> ArticleIncidentLink:
    """Send the article to the incident's caller as a public comment (in the caller's language)."""
    from incidents import services as incident_services

    _usable_on_incident(article, incident, by)
    if article.audience != Audience.EVERYONE:
        raise ValidationError(
            _("This article is for agents only and cannot be sent to the caller."), code="audience"
        )
    link, _created = _link(article, incident, by)
    with translation.override(incident.caller.language or settings.LANGUAGE_CODE):
        intro = message.strip() or _("This knowledge article should help with your incident:")
        body = f"{intro}\n\n{article.number}: {article.title}\n"
        if article.summary:
            body += f"{article.summary}\n"
        read_here = _("Read it here:")
        body += f"\n{read_here} {_portal_link(article)}"
    incident_services.add_comment(incident, by=by, body=body, public=True)
    link.sent_at, link.sent_by = timezone.now(), by
    link.save(update_fields=["sent_at", "sent_by"])
    _event(
        article,
        by=by,
        kind=TimelineKind.LINK,
        body=_("Sent to the caller of %(incident)s.") % {"incident": incident.number},
        data={"incident": incident.number, "sent": True},
    )
    return link


@transaction.atomic
def resolve_with_article(
    article: Article, incident, *, by, resolution_code: str = "", notes: str = "", expected_version=None
) -> ArticleIncidentLink:
    """Resolve the incident with this article as the solution; the article counts the incident solved.

    The resolution notes name the article (and link it for the caller when it is for everyone).
    An incident resolved with the same article again (after a reopen) counts once more; the
    incidents' "reopened" event takes the count back (see ``incident_reopened``).
    """
    from incidents import services as incident_services
    from incidents.choices import ResolutionCode

    _usable_on_incident(article, incident, by)
    code = resolution_code or ResolutionCode.SOLUTION_PROVIDED
    if code not in ResolutionCode.values:
        raise ValidationError({"resolution_code": _("Unknown resolution code.")})
    link, _created = _link(article, incident, by)
    with translation.override(incident.caller.language or settings.LANGUAGE_CODE):
        lines = [
            _("Resolved with knowledge article %(number)s: %(title)s")
            % {"number": article.number, "title": article.title}
        ]
        if article.audience == Audience.EVERYONE:
            lines.append(_portal_link(article))
    if notes.strip():
        lines += ["", notes.strip()]
    incident_services.resolve_incident(
        incident,
        by=by,
        resolution_code=code,
        resolution_notes="\n".join(lines),
        expected_version=expected_version,
    )
    if link.solved_at is None:
        link.solved_at, link.solved_by = timezone.now(), by
        link.save(update_fields=["solved_at", "solved_by"])
        Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
    _event(
        article,
        by=by,
        kind=TimelineKind.LINK,
        body=_("Resolved %(incident)s.") % {"incident": incident.number},
        data={"incident": incident.number, "solved": True},
    )
    return link


def incident_reopened(incident, *, by=None) -> int:
    """An incident resolved with an article was reopened: it no longer counts as solved by it."""
    links = list(
        ArticleIncidentLink.objects.select_for_update().filter(incident=incident, solved_at__isnull=False)
    )
    for link in links:
        ArticleIncidentLink.objects.filter(pk=link.pk).update(solved_at=None, solved_by=None)
        Article.objects.filter(pk=link.article_id, solved_count__gt=0).update(
            solved_count=F("solved_count") - 1
        )
        ArticleEvent.objects.create(
            ticket_id=link.article_id,
            kind=TimelineKind.LINK,
            author=by,
            body=_("%(incident)s was reopened: no longer counted as solved.") % {"incident": incident.number},
            data={"incident": incident.number, "reopened": True},
        )
    return len(links)
