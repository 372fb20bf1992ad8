"""Service level reports: set-based queries (aggregations in the database), one function per report.

KPI definitions (also shown on each page, DOMAIN.md §9):

* **SLA compliance %** = timers completed in the period (stopped met or breached; cancelled ones
  excluded) that met their target ÷ all completed timers, per metric. A breached timer that is
  still counting is listed separately ("breached, still open") and is not in the ratio until it
  completes.
* **Resolution time** = business time of the SLA resolution timer from creation to resolution,
  pauses excluded (on hold awaiting the caller, time while resolved before a reopen), on the
  policy's calendar. Median and 90th percentile per category; "within target" = share met.
* **Demand by hour of week** = incidents created in the period by local weekday and hour of the
  chosen calendar's time zone; "outside service hours" = created when the calendar is closed
  (weekly hours and holidays of that calendar).
* **MTTR (business)** = mean resolution time as above over incidents resolved in the period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, FloatField, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate, TruncTime

from incidents.models import Incident
from slm.choices import AgreementKind, Metric, TimerState
from slm.models import BusinessCalendar, SlaTimer
from slm.rules import open_minutes_by_hour

COMPLETED = (TimerState.MET, TimerState.BREACHED)


class PercentileCont(Aggregate):
    """PostgreSQL ``percentile_cont(f) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def completed_timers(start: datetime, end: datetime, *, service=None, desk=None):
    qs = SlaTimer.objects.filter(
        kind=AgreementKind.SLA, state__in=COMPLETED, stopped_at__gte=start, stopped_at__lt=end
    )
    if service is not None:
        qs = qs.filter(incident__service=service)
    if desk is not None:
        qs = qs.filter(incident__desk=desk)
    return qs


GROUP_FIELDS = {
    "service": "incident__service__name",
    "priority": "priority",
    "category": "incident__category__path",
}


def compliance(
    start: datetime, end: datetime, *, group_by: str = "service", service=None, desk=None
) -> list[dict]:
    """Rows of (group, metric, completed, met, breached, compliance %, breached_open)."""
    field = GROUP_FIELDS.get(group_by, GROUP_FIELDS["service"])
    rows = (
        completed_timers(start, end, service=service, desk=desk)
        .values(group=F(field), metric_=F("metric"))
        .annotate(
            completed=Count("id"),
            met=Count("id", filter=Q(state=TimerState.MET)),
            breached=Count("id", filter=Q(state=TimerState.BREACHED)),
        )
        .order_by("group", "metric_")
    )
    open_breaches = SlaTimer.objects.filter(
        kind=AgreementKind.SLA, state=TimerState.BREACHED, stopped_at__isnull=True, breached_at__gte=start,
        breached_at__lt=end,
    )  # fmt: skip
    if service is not None:
        open_breaches = open_breaches.filter(incident__service=service)
    if desk is not None:
        open_breaches = open_breaches.filter(incident__desk=desk)
    still_open = {
        (r["group"], r["metric_"]): r["n"]
        for r in open_breaches.values(group=F(field), metric_=F("metric")).annotate(n=Count("id"))
    }
    result = []
    seen = set()
    for r in rows:
        key = (r["group"], r["metric_"])
        seen.add(key)
        result.append(
            {
                "group": r["group"],
                "metric": r["metric_"],
                "completed": r["completed"],
                "met": r["met"],
                "breached": r["breached"],
                "compliance": _pct(r["met"], r["completed"]),
                "breached_open": still_open.get(key, 0),
            }
        )
    for (group, metric), n in still_open.items():
        if (group, metric) not in seen:
            result.append(
                {
                    "group": group,
                    "metric": metric,
                    "completed": 0,
                    "met": 0,
                    "breached": 0,
                    "compliance": None,
                    "breached_open": n,
                }
            )
    metric_order = {m: i for i, m in enumerate(Metric.values)}
    result.sort(key=lambda r: (str(r["group"] or ""), metric_order.get(r["metric"], 9)))
    return result


def resolution_times(start: datetime, end: datetime, *, category=None, service=None, desk=None) -> list[dict]:
    """Per category: resolved count, median and 90th percentile business seconds, % within target."""
    qs = completed_timers(start, end, service=service, desk=desk).filter(metric=Metric.RESOLUTION)
    if category is not None:
        qs = qs.filter(
            Q(incident__category=category) | Q(incident__category__path__startswith=f"{category.path} > ")
        )
    grouped = qs.values(category=F("incident__category__path"))
    if connection.vendor == "postgresql":
        rows = grouped.annotate(
            n=Count("id"),
            met=Count("id", filter=Q(state=TimerState.MET)),
            median=PercentileCont("elapsed_seconds", 0.5),
            p90=PercentileCont("elapsed_seconds", 0.9),
            mean=Avg("elapsed_seconds"),
            target=Avg("target_seconds"),
        ).order_by("category")
        data = list(rows)
    else:
        # SQLite has no percentile aggregate: counts are aggregated, the percentiles are taken
        # from one ordered stream of (category, seconds) values.
        data = list(
            grouped.annotate(
                n=Count("id"),
                met=Count("id", filter=Q(state=TimerState.MET)),
                mean=Avg("elapsed_seconds"),
                target=Avg("target_seconds"),
            ).order_by("category")
        )
        values: dict[str | None, list[int]] = {}
        for cat, seconds in qs.values_list("incident__category__path", "elapsed_seconds").order_by(
            "incident__category__path", "elapsed_seconds"
        ):
            values.setdefault(cat, []).append(seconds)
        for row in data:
            series = values.get(row["category"], [])
            row["median"] = statistics.median(series) if series else None
            row["p90"] = _percentile_cont(series, 0.9)
    for row in data:
        row["within_target"] = _pct(row["met"], row["n"])
    return data


def _percentile_cont(sorted_values: list[int], fraction: float) -> float | None:
    """The same interpolation as PostgreSQL's percentile_cont."""
    if not sorted_values:
        return None
    pos = fraction * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass
class Demand:
    grid: list[list[dict]]  # 7 rows (Mon..Sun) x 24 cells: {"count", "open_minutes"}
    total: int
    outside: int
    calendar: BusinessCalendar | None
    zone: ZoneInfo

    @property
    def outside_percent(self) -> float | None:
        return _pct(self.outside, self.total)

    @property
    def peak(self) -> int:
        return max((c["count"] for row in self.grid for c in row), default=0)


def _in_hours_q(calendar: BusinessCalendar) -> Q:
    """A condition on the annotations local_wd (ISO 1-7), local_time, local_date: calendar open."""
    if calendar.is_24x7:
        return Q()
    spans = Q(pk__in=[])
    for row in calendar.hours.all():
        cond = Q(local_wd=row.weekday + 1, local_time__gte=row.start)
        if row.end != time(0):
            cond &= Q(local_time__lt=row.end)
        spans |= cond
    fixed = [h.date for h in calendar.holidays.all() if not h.recurring]
    closed = Q(local_date__in=fixed) if fixed else Q(pk__in=[])
    for h in calendar.holidays.all():
        if h.recurring:
            closed |= Q(local_date__month=h.date.month, local_date__day=h.date.day)
    return spans & ~closed


def demand(
    start: datetime, end: datetime, *, calendar: BusinessCalendar | None, service=None, desk=None
) -> Demand:
    zone = ZoneInfo(calendar.time_zone) if calendar else ZoneInfo("UTC")
    qs = Incident.objects.filter(created_at__gte=start, created_at__lt=end)
    if service is not None:
        qs = qs.filter(service=service)
    if desk is not None:
        qs = qs.filter(desk=desk)
    qs = qs.annotate(
        local_wd=ExtractIsoWeekDay("created_at", tzinfo=zone),
        local_hour=ExtractHour("created_at", tzinfo=zone),
        local_time=TruncTime("created_at", tzinfo=zone),
        local_date=TruncDate("created_at", tzinfo=zone),
    )
    counts = {
        (r["local_wd"] - 1, r["local_hour"]): r["n"]
        for r in qs.values("local_wd", "local_hour").annotate(n=Count("id")).order_by()
    }
    if calendar is not None:
        hours: dict[int, list] = {}
        for row in calendar.hours.all():
            hours.setdefault(row.weekday, []).append((row.start, row.end))
        open_minutes = open_minutes_by_hour(hours, always_open=calendar.is_24x7)
        totals = qs.aggregate(total=Count("id"), inside=Count("id", filter=_in_hours_q(calendar)))
        total, outside = totals["total"], totals["total"] - totals["inside"]
    else:
        open_minutes = open_minutes_by_hour({}, always_open=True)
        total = sum(counts.values())
        outside = 0
    grid = [
        [{"count": counts.get((d, h), 0), "open_minutes": open_minutes[(d, h)]} for h in range(24)]
        for d in range(7)
    ]
    return Demand(grid=grid, total=total, outside=outside, calendar=calendar, zone=zone)


def volumes(service, start: datetime, end: datetime) -> dict:
    incidents = Incident.objects.filter(service=service)
    created = incidents.filter(created_at__gte=start, created_at__lt=end)
    return {
        "created": created.count(),
        "resolved": incidents.filter(resolved_at__gte=start, resolved_at__lt=end).count(),
        "open_at_end": incidents.filter(created_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        .count(),
        "by_priority": dict(
            created.values_list("priority")
            .annotate(n=Count("id"))
            .order_by("priority")
            .values_list("priority", "n")
        ),
    }


def service_review(service, start: datetime, end: datetime, prev_start: datetime, prev_end: datetime) -> dict:
    """Everything the Service Review page shows for one service and period, with the previous one."""

    def summary(a: datetime, b: datetime) -> dict:
        vol = volumes(service, a, b)
        rows = compliance(a, b, group_by="service", service=service)
        per_metric = {r["metric"]: r for r in rows}
        res = (
            completed_timers(a, b, service=service)
            .filter(metric=Metric.RESOLUTION)
            .aggregate(mttr=Avg("elapsed_seconds"), n=Count("id"))
        )
        breaches = SlaTimer.objects.filter(
            kind=AgreementKind.SLA, incident__service=service, breached_at__gte=a, breached_at__lt=b
        ).count()
        return {**vol, "compliance": per_metric, "mttr_seconds": res["mttr"], "breaches": breaches}

    current, previous = summary(start, end), summary(prev_start, prev_end)
    # At most 200 rows, each with live figures (a breached timer may still be counting).
    from slm.services import view

    breaches = [
        view(t)
        for t in SlaTimer.objects.filter(
            kind=AgreementKind.SLA, incident__service=service, breached_at__gte=start, breached_at__lt=end
        )
        .for_display()
        .select_related("incident", "incident__assignment_group")
        .order_by("breached_at")[:200]
    ]
    top_categories = list(
        Incident.objects.filter(service=service, created_at__gte=start, created_at__lt=end)
        .values(path=F("category__path"))
        .annotate(n=Count("id"))
        .order_by("-n", "path")[:5]
    )
    return {"current": current, "previous": previous, "breaches": breaches, "top_categories": top_categories}
