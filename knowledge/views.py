"""Knowledge pages: the agent area (/agent/kb/) and the self-service portal (/portal/kb/).

Views are thin: they read through ``Article.objects.visible_to`` (other people's drafts are a 404,
never a 403) and change things only through ``knowledge.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.dates import format_date
from core.decorators import agent_required, role_required
from core.models import Category
from core.roles import KNOWLEDGE_MANAGER, is_agent
from knowledge import reports, services
from knowledge.choices import Action, ArticleState, Audience, ViewSource
from knowledge.diff import diff_contents
from knowledge.filtersets import ArticleFilterSet
from knowledge.forms import ArticleForm, ConfirmReviewForm, FeedbackForm, ReasonForm
from knowledge.lifecycle import REASON_REQUIRED
from knowledge.models import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleIncidentLink,
    ArticleRevision,
    ArticleVersion,
)
from knowledge.rendering import render_markdown
from knowledge.search import filter_articles, search_articles

PAGE_SIZE = 25
SUGGEST_MIN_CHARS = 3
SUGGEST_LIMIT = 5
SORTS = {
    "updated": "-updated_at",
    "number": "-number",
    "title": "title",
    "views": "-view_count",
    "helpful": "-helpful_count",
    "solved": "-solved_count",
    "review": "review_by",
}
ACTION_STYLE = {Action.PUBLISH: "btn-primary", Action.RETIRE: "btn-danger"}


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _article_for(request: HttpRequest, number: str) -> Article:
    return get_object_or_404(
        Article.objects.visible_to(request.user).select_related("category", "owner", "author"),
        number=number.upper(),
    )


# --- Agent area ---------------------------------------------------------------------------------


@agent_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    """All articles the agent may see, filtered; with ``q``, the best full-text matches."""
    user = request.user
    query = (request.GET.get("q") or "").strip()
    if query.upper().startswith("KB") and query[2:].isdigit():
        article = Article.objects.visible_to(user).filter(number=query.upper()).first()
        if article:
            return redirect(article)
    base = Article.objects.visible_to(user)
    filterset = ArticleFilterSet(request.GET or None, queryset=base, request=request)
    context = {"filterset": filterset, "query": query, "sorts": SORTS}
    if query:
        form = filterset.form
        form.is_valid()
        data = form.cleaned_data if form.is_bound else {}
        context["results"] = search_articles(
            user,
            query,
            category=data.get("category"),
            service=data.get("service"),
            tag=(data.get("tag") or None),
            limit=50,
        )
        return render(request, "agent/knowledge/list.html", context)
    sort = request.GET.get("sort", "updated")
    queryset = (
        filterset.qs.select_related("category", "owner")
        .prefetch_related("tags")
        .annotate(has_revision=Exists(ArticleRevision.objects.filter(article=OuterRef("pk"))))
        .order_by(SORTS.get(sort, "-updated_at"), "-id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("sort", None)
    context.update({"page": page, "sort": sort, "params": params.urlencode()})
    return render(request, "agent/knowledge/list.html", context)


@agent_required
def article_create(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None, user=request.user, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        data = form.changes()
        try:
            article = services.create_article(by=request.user, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Draft %(number)s created.") % {"number": article.number})
            return redirect(article)
    return render(request, "agent/knowledge/edit.html", {"form": form, "article": None})


@agent_required
def article_edit(request: HttpRequest, number: str) -> HttpResponse:
    article = _article_for(request, number)
    if not services.can_edit_content(article, request.user) and not services.can_edit_metadata(
        article, request.user
    ):
        if article.state == ArticleState.RETIRED:
            messages.error(request, _("A retired article cannot be edited; write a new one instead."))
            return redirect(article)
        raise PermissionDenied
    form = ArticleForm(request.POST or None, instance=article, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.edit_article(
                article,
                by=request.user,
                changes=form.changes(),
                expected_lock_version=form.cleaned_data.get("lock_version"),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if result.revision is not None:
                messages.success(
                    request,
                    _("Your changes are saved as a revision. Submit it for review to publish version %(n)s.")
                    % {"n": article.version + 1},
                )
            elif result.changed:
                messages.success(request, _("Article saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(article)
    return render(
        request,
        "agent/knowledge/edit.html",
        {"form": form, "article": article, "revision": services.pending_revision(article)},
    )


@agent_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: exactly the sanitised HTML readers will get."""
    body = request.POST.get("body", "")[:200_000]
    return render(request, "agent/knowledge/_preview.html", {"html": render_markdown(body)})


@agent_required
@require_GET
def article_detail(request: HttpRequest, number: str) -> HttpResponse:
    article = _article_for(request, number)
    user = request.user
    if article.is_live:
        source = ViewSource.INCIDENT if request.GET.get("from") == "incident" else ViewSource.AGENT
        services.record_view(article, by=user, source=source)
    revision = services.pending_revision(article)
    actions = [
        {
            "name": action,
            "label": Action(action).label,
            "reason": action in REASON_REQUIRED,
            "style": ACTION_STYLE.get(action, ""),
            "on_revision": article.is_live and action != Action.RETIRE,
        }
        for action in services.available_actions(article, user)
    ]
    versions = ArticleVersion.objects.filter(article=article).select_related("published_by", "written_by")
    timeline = (
        ArticleEvent.objects.filter(ticket=article).select_related("author").order_by("-created_at", "-id")
    )
    manager_view = services.is_manager(user) or services.is_editor(article, user)
    comments = []
    if manager_view:
        comments = (
            ArticleFeedback.objects.filter(article=article).exclude(comment="").select_related("user")[:20]
        )
    context = {
        "article": article,
        "revision": revision,
        "actions": actions,
        "versions": versions,
        "timeline": timeline[:100],
        "comments": comments,
        "can_edit": services.can_edit_content(article, user) or services.can_edit_metadata(article, user),
        "can_confirm_review": article.is_live and services.is_editor(article, user),
        "can_discard": revision is not None
        and (revision.author_id == user.pk or services.is_editor(article, user)),
        "reason_form": ReasonForm(),
        "review_form": ConfirmReviewForm(),
        "tags": list(article.tags.all()),
        "services_list": list(article.services.all()),
        "related_categories": list(article.related_categories.all()),
        "incident_links": ArticleIncidentLink.objects.filter(article=article)
        .select_related("incident", "linked_by")
        .order_by("-created_at")[:20],
    }
    return render(request, "agent/knowledge/detail.html", context)


@agent_required
@require_POST
def article_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    article = _article_for(request, number)
    if action not in Action.values:
        raise Http404
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        article = services.perform_action(article, by=request.user, action=action, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            {
                Action.SUBMIT: _("Submitted for review."),
                Action.PUBLISH: _("Published as version %(n)s.") % {"n": article.version},
                Action.REJECT: _("Sent back to the author."),
                Action.RETIRE: _("Article retired."),
            }[action],
        )
    return redirect(article)


@agent_required
@require_POST
def revision_discard(request: HttpRequest, number: str) -> HttpResponse:
    article = _article_for(request, number)
    try:
        services.discard_revision(article, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Revision discarded."))
    return redirect(article)


@agent_required
@require_POST
def confirm_review(request: HttpRequest, number: str) -> HttpResponse:
    article = _article_for(request, number)
    form = ConfirmReviewForm(request.POST)
    next_review = form.cleaned_data.get("next_review") if form.is_valid() else None
    try:
        article = services.confirm_review(article, by=request.user, next_review=next_review)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Review recorded; next review on %(date)s.") % {"date": format_date(article.review_by)}
        )
    return redirect(article)


def _content(obj) -> dict:
    return {"title": obj.title, "summary": obj.summary, "body": obj.body}


@agent_required
@require_GET
def version_detail(request: HttpRequest, number: str, version: int) -> HttpResponse:
    article = _article_for(request, number)
    shown = get_object_or_404(
        ArticleVersion.objects.select_related("published_by", "written_by"), article=article, number=version
    )
    versions = ArticleVersion.objects.filter(article=article).select_related("published_by")
    return render(
        request,
        "agent/knowledge/version.html",
        {"article": article, "version": shown, "versions": versions},
    )


@agent_required
@require_GET
def article_diff(request: HttpRequest, number: str) -> HttpResponse:
    """Differences between two versions; ``to=revision`` compares with the open revision."""
    article = _article_for(request, number)
    versions = {
        v.number: v for v in ArticleVersion.objects.filter(article=article).select_related("published_by")
    }
    revision = services.pending_revision(article)
    try:
        newest = max(versions) if versions else 0
        to_param = request.GET.get("to") or ("revision" if revision else str(newest))
        if to_param == "revision":
            if revision is None:
                raise Http404
            new, new_label = _content(revision), _("Revision in progress")
            default_from = article.version
        else:
            to_number = int(to_param)
            new, new_label = _content(versions[to_number]), _("Version %(n)s") % {"n": to_number}
            default_from = to_number - 1
        from_number = int(request.GET.get("from") or default_from)
        old_version = versions[from_number]
    except (KeyError, ValueError):
        return HttpResponseBadRequest(_("Choose two existing versions to compare."))
    fields, body_rows = diff_contents(_content(old_version), new)
    return render(
        request,
        "agent/knowledge/diff.html",
        {
            "article": article,
            "old": old_version,
            "new_label": new_label,
            "fields": fields,
            "rows": body_rows,
            "versions": sorted(versions.values(), key=lambda v: -v.number),
            "revision": revision,
            "to_param": to_param,
            "from_number": from_number,
        },
    )


@agent_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Reviewers: what awaits review. Everyone: their own submissions and their articles due for review."""
    user = request.user
    manager = services.is_manager(user)
    visible = Article.objects.visible_to(user).select_related("owner", "author", "category")
    awaiting = visible.filter(state=ArticleState.REVIEW)
    revisions = ArticleRevision.objects.filter(state="review", article__in=visible).select_related(
        "article", "author", "article__category"
    )
    if not manager:
        awaiting = awaiting.filter(Q(author=user) | Q(owner=user))
        revisions = revisions.filter(author=user)
    due = visible.due_for_review().filter(owner=user).order_by("review_by")
    drafts = (
        visible.filter(state=ArticleState.DRAFT)
        .filter(Q(author=user) | Q(owner=user))
        .order_by("-updated_at")
    )
    return render(
        request,
        "agent/knowledge/review_queue.html",
        {
            "manager": manager,
            "awaiting": awaiting.order_by("updated_at"),
            "revisions": revisions.order_by("submitted_at"),
            "due": due,
            "drafts": drafts[:50],
        },
    )


@role_required(KNOWLEDGE_MANAGER)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", 90))
    except ValueError:
        days = 90
    days = days if days in reports.PERIODS else 90
    data = reports.knowledge_report(days=days)
    if request.GET.get("format") == "csv":
        return reports.csv_response(data, request.GET.get("table", "most_viewed"))
    return render(
        request, "agent/knowledge/report.html", {"report": data, "periods": reports.PERIODS, "days": days}
    )


def _incident_for(request: HttpRequest, number: str):
    from incidents.models import Incident

    return Incident.objects.visible_to(request.user).filter(number=(number or "").strip().upper()).first()


@agent_required
@require_GET
def agent_suggest(request: HttpRequest) -> HttpResponse:
    """htmx partial: articles for an incident, from its short description and category."""
    from incidents.choices import OPEN_STATES

    query = (request.GET.get("q") or "").strip()[:300]
    category = request.GET.get("category") or None
    if category is not None and not str(category).isdigit():
        category = None
    incident = (
        _incident_for(request, request.GET.get("incident", "")) if request.GET.get("incident") else None
    )
    results = []
    if len(query) >= SUGGEST_MIN_CHARS:
        results = [
            r.article
            for r in search_articles(
                request.user,
                query,
                limit=SUGGEST_LIMIT,
                published_only=True,
                match_all=False,
                prefer_category=category,
            )
        ]
    if not results and category:
        # Nothing matches the words: the most useful articles of the incident's category instead.
        results = list(
            filter_articles(Article.objects.visible_to(request.user).published(), category=category)
            .select_related("category")
            .order_by("-solved_count", "-helpful_count", "-view_count")[:SUGGEST_LIMIT]
        )
    return render(
        request,
        "agent/knowledge/_suggestions.html",
        {
            "articles": results,
            "incident": incident,
            "incident_open": incident is not None and incident.state in OPEN_STATES,
            "query": query,
        },
    )


INCIDENT_ACTIONS = {
    "attach": (services.attach_to_incident, gettext_lazy("Article attached to %(incident)s.")),
    "send": (services.send_to_caller, gettext_lazy("Article sent to the caller of %(incident)s.")),
    "resolve": (services.resolve_with_article, gettext_lazy("%(incident)s resolved with the article.")),
}


@agent_required
@require_POST
def incident_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Attach the article to an incident, send it to the caller, or resolve the incident with it."""
    if action not in INCIDENT_ACTIONS:
        raise Http404
    article = _article_for(request, number)
    incident = _incident_for(request, request.POST.get("incident", ""))
    if incident is None:
        messages.error(request, _("No incident with that number."))
        return redirect(article)
    function, done = INCIDENT_ACTIONS[action]
    kwargs = {}
    if action == "resolve":
        kwargs = {
            "notes": request.POST.get("notes", "")[:4000],
            "resolution_code": request.POST.get("resolution_code", ""),
        }
    try:
        function(article, incident, by=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(done) % {"incident": incident.number})
    next_url = request.POST.get("next") or reverse("incidents:agent-detail", args=[incident.number])
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("incidents:agent-detail", args=[incident.number])
    return redirect(next_url)


# --- Portal -------------------------------------------------------------------------------------


def _portal_articles(user):
    return Article.objects.visible_to(user).published()


def _category_counts(user) -> list[dict]:
    """Top-level categories with the number of readable articles below them (two queries)."""
    counts = dict(
        _portal_articles(user)
        .filter(category__isnull=False)
        .values_list("category__path")
        .annotate(n=Count("pk"))
        .values_list("category__path", "n")
    )
    roots = Category.objects.filter(is_active=True, parent__isnull=True).prefetch_related(
        Prefetch("children", queryset=Category.objects.filter(is_active=True))
    )
    result = []
    for root in roots:
        total = sum(
            n for path, n in counts.items() if path == root.path or path.startswith(f"{root.path} > ")
        )
        if total:
            children = [
                {
                    "category": child,
                    "count": sum(
                        n for p, n in counts.items() if p == child.path or p.startswith(f"{child.path} > ")
                    ),
                }
                for child in root.children.all()
            ]
            result.append({"category": root, "count": total, "children": [c for c in children if c["count"]]})
    return result


@login_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    """Search (as you type, with htmx), browse by category, the most read articles."""
    user = request.user
    query = (request.GET.get("q") or "").strip()[:300]
    results = None
    if query:
        results = search_articles(user, query, limit=20, published_only=True, prefix=bool(request.htmx))
    if request.htmx and request.htmx.target == "kb-results":
        return render(request, "portal/knowledge/_results.html", {"results": results, "query": query})
    popular = _portal_articles(user).select_related("category").order_by("-view_count", "-helpful_count")[:8]
    return render(
        request,
        "portal/knowledge/home.html",
        {
            "query": query,
            "results": results,
            "categories": _category_counts(user),
            "popular": popular,
        },
    )


@login_required
@require_GET
def portal_category(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk, is_active=True)
    articles = (
        filter_articles(_portal_articles(request.user), category=category)
        .select_related("category")
        .order_by("-helpful_count", "-view_count", "title")
    )
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    children = category.children.filter(is_active=True)
    return render(
        request,
        "portal/knowledge/category.html",
        {"category": category, "page": page, "children": children},
    )


def _portal_source(request: HttpRequest) -> str:
    return {
        "report-form": ViewSource.REPORT_FORM,
        "search": ViewSource.PORTAL_SEARCH,
    }.get(request.GET.get("from", ""), ViewSource.PORTAL)


@login_required
@require_GET
def portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    article = get_object_or_404(
        _portal_articles(request.user).select_related("category"), number=number.upper()
    )
    services.record_view(
        article, by=request.user, source=_portal_source(request), visit=request.GET.get("visit", "")
    )
    feedback = ArticleFeedback.objects.filter(article=article, user=request.user).first()
    same_language = Case(When(language=article.language, then=Value(0)), default=Value(1))
    related = (
        _portal_articles(request.user)
        .filter(category_id=article.category_id)
        .exclude(pk=article.pk)
        .order_by(same_language, "-helpful_count", "-view_count")[:5]
        if article.category_id
        else []
    )
    return render(
        request,
        "portal/knowledge/detail.html",
        {
            "article": article,
            "feedback": feedback,
            "form": FeedbackForm(),
            "related": related,
            "agent_only": article.audience == Audience.AGENTS,
        },
    )


@login_required
@require_POST
def portal_feedback(request: HttpRequest, number: str) -> HttpResponse:
    article = get_object_or_404(_portal_articles(request.user), number=number.upper())
    form = FeedbackForm(request.POST)
    feedback = None
    if form.is_valid():
        feedback = services.record_feedback(
            article,
            by=request.user,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
        )
        if not request.htmx:
            messages.success(request, _("Thank you for your feedback."))
            return redirect(article.get_portal_url())
    elif not request.htmx:
        messages.error(request, _("Choose yes or no."))
        return redirect(article.get_portal_url())
    article.refresh_from_db(fields=["helpful_count", "not_helpful_count"])
    return render(
        request,
        "portal/knowledge/_feedback.html",
        {"article": article, "feedback": feedback, "form": form, "just_answered": feedback is not None},
        status=200 if form.is_valid() else 400,
    )


@login_required
@require_GET
def portal_suggest(request: HttpRequest) -> HttpResponse:
    """htmx partial for the incident report form: articles matching what the user is typing."""
    query = (request.GET.get("q") or "").strip()[:300]
    visit = "".join(ch for ch in request.GET.get("visit", "") if ch.isalnum())[:32]
    results = []
    if len(query) >= SUGGEST_MIN_CHARS:
        results = search_articles(request.user, query, limit=SUGGEST_LIMIT, published_only=True, prefix=True)
    return render(
        request,
        "portal/knowledge/_suggestions.html",
        {"results": results, "query": query, "visit": visit, "is_agent": is_agent(request.user)},
    )
