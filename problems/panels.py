"""Panels problem management contributes to other apps' pages (see ``core.panels``).

- incident-agent-side: the incident's problem (number, state) and workaround, or a form to link it.
- agent-home: "Incidents per problem" and "Open problems by age".
"""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.utils import timezone

from core.panels import register_panel
from core.roles import is_agent
from incidents.choices import ResolutionCode
from incidents.models import Incident
from problems.choices import OPEN_STATES
from problems.models import Problem, ProblemIncident
from problems.rules import AGE_BUCKETS


def incident_problem(request, incident) -> dict | None:
    """The problem of the incident on its agent page (agents only: problems are internal)."""
    if incident is None or not is_agent(request.user):
        return None
    link = (
        ProblemIncident.objects.filter(incident=incident)
        .select_related("problem", "problem__assigned_to", "problem__assignment_group")
        .first()
    )
    return {"link": link, "problem": link.problem if link else None, "incident": incident}


def incidents_per_problem(request, _obj=None) -> dict | None:
    """DOMAIN.md §9 "incidents per problem": linked incidents per distinct problem (open now, and
    resolved in the last 90 days), the share of incidents resolved by a problem in the last 30 days,
    and the open problems with the most incidents."""
    if not is_agent(request.user):
        return None
    now = timezone.now()
    top = list(
        Problem.objects.open()
        .annotate(n=Count("incident_links"))
        .filter(n__gt=0)
        .order_by("-n", "-id")
        .values("number", "short_description", "state", "n")[:5]
    )
    recent = now - timezone.timedelta(days=90)
    totals = ProblemIncident.objects.aggregate(
        incidents=Count("pk", filter=Q(problem__state__in=OPEN_STATES)),
        problems=Count("problem", filter=Q(problem__state__in=OPEN_STATES), distinct=True),
        resolved_incidents=Count("pk", filter=Q(problem__resolved_at__gte=recent)),
        resolved_problems=Count("problem", filter=Q(problem__resolved_at__gte=recent), distinct=True),
    )
    month = Incident.objects.filter(resolved_at__gte=now - timezone.timedelta(days=30)).aggregate(
        resolved=Count("pk"),
        by_problem=Count("pk", filter=Q(resolution_code=ResolutionCode.RESOLVED_BY_PROBLEM)),
    )

    def ratio(a, b):
        return round(a / b, 1) if b else None

    return {
        "top": top,
        "ratio": ratio(totals["incidents"], totals["problems"]),
        "resolved_ratio": ratio(totals["resolved_incidents"], totals["resolved_problems"]),
        "share_by_problem": round(100 * month["by_problem"] / month["resolved"])
        if month["resolved"]
        else None,
        **totals,
        **month,
    }


def _age_q(now, start: int, end: int | None) -> Q:
    q = Q(created_at__lte=now - timezone.timedelta(days=start))
    if end is not None:
        q &= Q(created_at__gt=now - timezone.timedelta(days=end))
    return q


def open_problems_by_age(request, _obj=None) -> dict | None:
    """Open problems counted by how long ago they were opened (one query)."""
    if not is_agent(request.user):
        return None
    now = timezone.now()
    counts = Problem.objects.open().aggregate(
        **{key: Count("pk", filter=_age_q(now, start, end)) for key, _label, start, end in AGE_BUCKETS},
        oldest=Min("created_at"),
    )
    buckets = [
        {"key": key, "label": label, "start": start, "end": end, "count": counts[key]}
        for key, label, start, end in AGE_BUCKETS
    ]
    peak = max(b["count"] for b in buckets) or 1
    for bucket in buckets:
        bucket["percent"] = round(100 * bucket["count"] / peak)
    return {"buckets": buckets, "total": sum(b["count"] for b in buckets), "oldest": counts["oldest"]}


def register() -> None:
    register_panel(
        "incident-agent-side",
        "problem",
        template="agent/problems/_incident_panel.html",
        context=incident_problem,
        order=30,
    )
    register_panel(
        "agent-home",
        "incidents-per-problem",
        template="agent/problems/_widget_incidents_per_problem.html",
        context=incidents_per_problem,
        order=40,
    )
    register_panel(
        "agent-home",
        "open-problems-by-age",
        template="agent/problems/_widget_problems_by_age.html",
        context=open_problems_by_age,
        order=41,
    )
