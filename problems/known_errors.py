"""The adapter between known errors and the knowledge base: ``publish_known_error``.

A problem marked as a known error is published as a knowledge article of type "known error"
(tagged ``known error``; symptoms, workaround and cause), readable by agents only or by everyone,
and updated whenever its workaround changes. The knowledge base owns articles, their review
lifecycle and who may publish; this module is the one place that calls its service functions.

Publishing follows the knowledge base's rules: when the agent may publish (a knowledge manager)
the article, or its new version, is published at once; otherwise it is submitted for review and
the knowledge managers are asked to publish it. The problem links to its article
(``Problem.known_error_article``) and the article names its problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

KNOWN_ERROR_TAG = "known error"


@dataclass(frozen=True)
class Published:
    number: str  # the article's number (KB…)
    action: str  # "published", "submitted" (for review), "updated" or "revision_submitted"


def knowledge_available() -> bool:
    """Whether the knowledge base is installed (problem management works without it, unpublished)."""
    return apps.is_installed("knowledge")


def article_for(problem):
    """The problem's known error article, or None."""
    if not knowledge_available() or not getattr(problem, "known_error_article_id", None):
        return None
    return problem.known_error_article


def article_content(problem, *, language: str) -> dict:
    """Title, summary and Markdown body of the known error article, in ``language``."""
    with translation.override(language):
        title = _("Known error: %(title)s") % {"title": problem.short_description}
        body = render_to_string("agent/problems/known_error_article.md", {"problem": problem}).strip() + "\n"
        summary = (problem.symptoms or problem.short_description).strip().splitlines()[0][:500]
    return {"title": title[:200], "summary": summary, "body": body}


def _refused(exc: Exception) -> ValidationError:
    message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return ValidationError(
        {"known_error": _("The knowledge base refused the known error article: %(why)s") % {"why": message}}
    )


def publish_known_error(problem, *, by, audience: str) -> Published | None:
    """Create or update the problem's known error article; None when there is no knowledge base.

    Runs inside the caller's transaction: if the knowledge base refuses (for example an agent who
    may not make a published article visible to everyone), nothing of the known error is saved.
    """
    if not knowledge_available():
        return None
    from knowledge import services as kb
    from knowledge.choices import Action, ArticleState

    language = getattr(by, "language", "") or "en"
    content = article_content(problem, language=language)
    article = article_for(problem)
    try:
        if article is None or article.state == ArticleState.RETIRED:
            article = kb.create_article(
                by=by,
                language=language,
                audience=audience,
                category=problem.category,
                services=[problem.service] if problem.service_id else (),
                tags=[KNOWN_ERROR_TAG],
                **content,
            )
            problem.known_error_article = article
            problem.save(update_fields=["known_error_article"])
            return Published(article.number, _submit(kb, Action, article, by=by, first=True))
        changes = {
            **content,
            "audience": audience,
            "change_note": _("Known error %(number)s updated.") % {"number": problem.number},
        }
        kb.edit_article(article, by=by, changes=changes)
        article.refresh_from_db()
        if article.state == ArticleState.PUBLISHED:
            return Published(article.number, _submit(kb, Action, article, by=by, first=False))
        if article.state == ArticleState.DRAFT:
            return Published(article.number, _submit(kb, Action, article, by=by, first=True))
        return Published(article.number, "updated")
    except (PermissionDenied, ValidationError) as exc:
        raise _refused(exc) from None


def _submit(kb, Action, article, *, by, first: bool) -> str:
    """Submit the draft (or the open revision) and publish it when ``by`` may publish."""
    revision = kb.pending_revision(article) if not first else None
    if not first and revision is None:
        return "updated"  # only metadata changed: it applies to the live article at once
    if (revision.state if revision is not None else article.state) == "draft":
        kb.perform_action(article, by=by, action=Action.SUBMIT)
    if kb.is_manager(by):
        kb.perform_action(article, by=by, action=Action.PUBLISH)
        return "published" if first else "updated"
    return "submitted" if first else "revision_submitted"
