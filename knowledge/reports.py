"""The knowledge manager's report: use, usefulness, staleness and deflection, with exact definitions.

Deflection, precisely:

* A *report visit* is one opening of the incident report form. Its suggestion box carries a random
  visit id; every article the user opens from it is an ``ArticleView`` with source
  ``report_form`` and that visit id.
* A visit's window runs from its first article opening to ``KB_DEFLECTION_WINDOW_MINUTES`` (30)
  after its last one.
* A visit is **deflected** when its window has ended and the same user created no incident
  inside it; **converted** when they did (they read, and reported anyway); **pending** while the
  window is still open (counted in neither).
* Each article opened during a deflected visit is credited with one deflection.

Everything is computed from stored rows (views and incidents): nothing is guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import csv as core_csv
from knowledge.choices import ArticleState, ViewSource
from knowledge.models import Article, ArticleFeedback, ArticleView

PERIODS = (7, 30, 90, 365)
TOP = 10
MIN_VOTES = 3
STALE_AFTER_DAYS = 365


@dataclass
class Deflection:
    visits: int = 0
    deflected: int = 0
    converted: int = 0
    pending: int = 0
    by_article: list[tuple[Article, int]] = field(default_factory=list)

    @property
    def rate(self) -> int | None:
        decided = self.deflected + self.converted
        return round(100 * self.deflected / decided) if decided else None


def _incident_times(user_ids: set[int], start, end) -> dict[int, list]:
    """When each user created incidents in [start, end]; empty without the incidents app."""
    if not user_ids:
        return {}
    try:
        incident_model = apps.get_model("incidents", "Incident")
    except LookupError:
        return {}
    times: dict[int, list] = defaultdict(list)
    rows = incident_model.objects.filter(caller_id__in=user_ids, created_at__gte=start, created_at__lte=end)
    for caller_id, created_at in rows.values_list("caller_id", "created_at"):
        times[caller_id].append(created_at)
    return times


def deflection(*, since, now=None) -> Deflection:
    """Deflection figures for report visits that started at or after ``since``."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.KB_DEFLECTION_WINDOW_MINUTES)
    views = ArticleView.objects.filter(
        source=ViewSource.REPORT_FORM, created_at__gte=since, user__isnull=False
    )
    visits: dict[tuple, dict] = {}
    for pk, user_id, visit, article_id, created_at in views.values_list(
        "pk", "user_id", "visit", "article_id", "created_at"
    ):
        key = (user_id, visit or f"view-{pk}")
        entry = visits.setdefault(
            key, {"user": user_id, "first": created_at, "last": created_at, "articles": set()}
        )
        entry["first"] = min(entry["first"], created_at)
        entry["last"] = max(entry["last"], created_at)
        entry["articles"].add(article_id)
    result = Deflection(visits=len(visits))
    if not visits:
        return result
    incidents = _incident_times(
        {v["user"] for v in visits.values()},
        min(v["first"] for v in visits.values()),
        max(v["last"] for v in visits.values()) + window,
    )
    credited: dict[int, int] = defaultdict(int)
    for entry in visits.values():
        end = entry["last"] + window
        if any(entry["first"] <= t <= end for t in incidents.get(entry["user"], ())):
            result.converted += 1
        elif end > now:
            result.pending += 1
        else:
            result.deflected += 1
            for article_id in entry["articles"]:
                credited[article_id] += 1
    top = sorted(credited.items(), key=lambda item: -item[1])[:TOP]
    articles = Article.objects.in_bulk([article_id for article_id, _n in top])
    result.by_article = [(articles[a], n) for a, n in top if a in articles]
    return result


def knowledge_report(*, days: int = 90, now=None) -> dict:
    """Every figure of the report page for the last ``days`` days; a fixed number of queries."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    today = timezone.localdate()
    articles = Article.objects.all()
    by_state = dict(articles.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    most_viewed = list(
        articles.filter(views__created_at__gte=since)
        .annotate(period_views=Count("views"))
        .select_related("owner")
        .order_by("-period_views", "number")[:TOP]
    )
    least_helpful = list(
        articles.filter(state=ArticleState.PUBLISHED)
        .annotate(votes_total=F("helpful_count") + F("not_helpful_count"))
        .filter(votes_total__gte=MIN_VOTES)
        .annotate(
            ratio=ExpressionWrapper(F("helpful_count") * 1.0 / F("votes_total"), output_field=FloatField())
        )
        .select_related("owner")
        .order_by("ratio", "-votes_total", "number")[:TOP]
    )
    stale_cutoff = now - timedelta(days=STALE_AFTER_DAYS)
    stale = list(
        articles.filter(state=ArticleState.PUBLISHED)
        .filter(Q(review_by__lte=today) | Q(published_at__lt=stale_cutoff))
        .select_related("owner")
        .order_by("review_by", "published_at")[: TOP * 2]
    )
    most_solved = list(
        articles.filter(solved_count__gt=0).select_related("owner").order_by("-solved_count", "number")[:TOP]
    )
    feedback = ArticleFeedback.objects.filter(updated_at__gte=since)
    votes = feedback.aggregate(helpful=Count("pk", filter=Q(helpful=True)), total=Count("pk"))
    comments = list(
        feedback.exclude(comment="")
        .select_related("article", "user")
        .order_by("helpful", "-updated_at")[: TOP * 2]
    )
    views_in_period = ArticleView.objects.filter(created_at__gte=since).count()
    return {
        "days": days,
        "since": since,
        "by_state": {state: by_state.get(state, 0) for state in ArticleState.values},
        "due_for_review": articles.due_for_review(today).count(),
        "views": views_in_period,
        "votes": votes,
        "helpful_percent": round(100 * votes["helpful"] / votes["total"]) if votes["total"] else None,
        "most_viewed": most_viewed,
        "least_helpful": least_helpful,
        "stale": stale,
        "most_solved": most_solved,
        "comments": comments,
        "deflection": deflection(since=since, now=now),
        "stale_after_days": STALE_AFTER_DAYS,
        "min_votes": MIN_VOTES,
        "window_minutes": settings.KB_DEFLECTION_WINDOW_MINUTES,
    }


def _rows(data: dict, table: str) -> tuple[list[str], list[list]]:
    if table == "least_helpful":
        return [_("Number"), _("Title"), _("Helpful"), _("Not helpful"), _("Owner")], [
            [a.number, a.title, a.helpful_count, a.not_helpful_count, str(a.owner)]
            for a in data["least_helpful"]
        ]
    if table == "stale":
        return [_("Number"), _("Title"), _("Review by"), _("Published"), _("Owner")], [
            [
                a.number,
                a.title,
                a.review_by or "",
                a.published_at.date() if a.published_at else "",
                str(a.owner),
            ]
            for a in data["stale"]
        ]
    if table == "deflection":
        return [_("Number"), _("Title"), _("Deflections")], [
            [a.number, a.title, n] for a, n in data["deflection"].by_article
        ]
    if table == "most_solved":
        return [_("Number"), _("Title"), _("Incidents solved")], [
            [a.number, a.title, a.solved_count] for a in data["most_solved"]
        ]
    return [_("Number"), _("Title"), _("Views in period"), _("Views in total")], [
        [a.number, a.title, a.period_views, a.view_count] for a in data["most_viewed"]
    ]


def csv_response(data: dict, table: str) -> HttpResponse:
    header, rows = _rows(data, table)
    safe_table = table if table in {"least_helpful", "stale", "deflection", "most_solved"} else "most_viewed"
    return core_csv.csv_response(f"knowledge-{safe_table}-{data['days']}d.csv", header, rows)
