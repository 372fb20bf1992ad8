"""Agent pages of service level management: the "breaching soonest" queue and the reports."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import roles
from core.csv import csv_response
from core.decorators import agent_required
from core.models import SupportGroup
from incidents.models import Incident
from slm import reports, services
from slm.choices import AgreementKind, Metric
from slm.forms import BreachReasonForm, ComplianceForm, DemandForm, DistributionForm, ServiceReviewForm
from slm.models import BusinessCalendar, SlaTimer


def service_level_manager_required(view):
    """Reports: service level managers and administrators."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (
            roles.has_role(user, roles.SERVICE_LEVEL_MANAGER) or roles.has_role(user, roles.ADMINISTRATOR)
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    return csv_response(filename, header, rows)


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _user_zone(request):
    from slm.panels import _user_zone as zone

    return zone(request)


# --- Breaching soonest -------------------------------------------------------------------------


@agent_required
def breaching(request):
    """Open incidents ordered by the earliest due instant of a counting SLA timer (overdue first)."""
    incidents = Incident.objects.visible_to(request.user).open().for_list()
    group_id = request.GET.get("group", "")
    if request.GET.get("mine"):
        incidents = incidents.filter(assigned_to=request.user)
    if group_id.isdigit():
        incidents = incidents.filter(assignment_group_id=int(group_id))
    incidents = services.breaching_soonest(incidents).prefetch_related(
        services.timers_prefetch(active_only=True)
    )
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for incident in page:
        views = [services.view(t, now) for t in incident.sla_timers.all() if t.kind == AgreementKind.SLA]
        counting = [v for v in views if not v.timer.is_paused and v.figures.due_at is not None]
        soonest = min(counting, key=lambda v: v.figures.due_at, default=None)
        rows.append({"incident": incident, "soonest": soonest, "views": services_sorted(views)})
    return render(
        request,
        "agent/slm/breaching.html",
        {
            "page": page,
            "rows": rows,
            "zone": _user_zone(request),
            "groups": SupportGroup.objects.filter(is_active=True),
            "group_id": group_id,
            "mine": bool(request.GET.get("mine")),
        },
    )


def services_sorted(views):
    order = {Metric.RESPONSE: 0, Metric.RESOLUTION: 1, Metric.UPDATE: 2}
    return sorted(views, key=lambda v: order.get(v.timer.metric, 9))


@agent_required
@require_POST
def breach_reason(request, pk: int):
    timer = get_object_or_404(SlaTimer.objects.select_related("incident"), pk=pk)
    get_object_or_404(Incident.objects.visible_to(request.user), pk=timer.incident_id)
    form = BreachReasonForm(request.POST)
    if form.is_valid():
        try:
            services.set_breach_reason(timer, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The breach reason was recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Say why the target was missed."))
    return redirect(timer.incident.get_absolute_url())


# --- Reports -----------------------------------------------------------------------------------


@service_level_manager_required
def reports_index(request):
    return render(request, "agent/slm/reports/index.html")


def _metric_label(metric: str) -> str:
    return str(Metric(metric).label) if metric in Metric.values else metric


@service_level_manager_required
def compliance_report(request):
    form = ComplianceForm(request.GET or {})
    rows = []
    if form.is_valid():
        start, end = form.bounds(_user_zone(request))
        group_by = form.cleaned_data.get("group_by") or "service"
        rows = reports.compliance(
            start,
            end,
            group_by=group_by,
            service=form.cleaned_data.get("service"),
            desk=form.cleaned_data.get("desk"),
        )
        for row in rows:
            row["metric_label"] = _metric_label(row["metric"])
        if _wants_csv(request):
            return _csv(
                f"sla-compliance-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv",
                [
                    group_by,
                    "metric",
                    "completed",
                    "met",
                    "breached",
                    "compliance_percent",
                    "breached_still_open",
                ],
                (
                    [
                        r["group"],
                        r["metric"],
                        r["completed"],
                        r["met"],
                        r["breached"],
                        r["compliance"],
                        r["breached_open"],
                    ]
                    for r in rows
                ),
            )
    return render(request, "agent/slm/reports/compliance.html", {"form": form, "rows": rows})


@service_level_manager_required
def resolution_report(request):
    form = DistributionForm(request.GET or {})
    rows = []
    if form.is_valid():
        start, end = form.bounds(_user_zone(request))
        rows = reports.resolution_times(
            start,
            end,
            category=form.cleaned_data.get("category"),
            service=form.cleaned_data.get("service"),
            desk=form.cleaned_data.get("desk"),
        )
        if _wants_csv(request):
            return _csv(
                f"resolution-times-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv",
                [
                    "category",
                    "resolved",
                    "median_business_seconds",
                    "p90_business_seconds",
                    "mean_business_seconds",
                    "within_target_percent",
                ],
                (
                    [
                        r["category"],
                        r["n"],
                        _round(r["median"]),
                        _round(r["p90"]),
                        _round(r["mean"]),
                        r["within_target"],
                    ]
                    for r in rows
                ),
            )
    return render(request, "agent/slm/reports/resolution_times.html", {"form": form, "rows": rows})


def _round(value):
    return None if value is None else round(float(value))


def _default_calendar(service):
    if service is not None and service.calendar_id:
        return service.calendar
    return BusinessCalendar.objects.filter(is_active=True, is_24x7=False).order_by("name").first()


@service_level_manager_required
def demand_report(request):
    form = DemandForm(request.GET or {})
    result = None
    if form.is_valid():
        service = form.cleaned_data.get("service")
        calendar = form.cleaned_data.get("calendar") or _default_calendar(service)
        if calendar is not None:
            calendar = BusinessCalendar.objects.prefetch_related("hours", "holidays").get(pk=calendar.pk)
        start, end = form.bounds(_user_zone(request))
        result = reports.demand(
            start, end, calendar=calendar, service=service, desk=form.cleaned_data.get("desk")
        )
        if _wants_csv(request):
            day_names = [
                _("Monday"),
                _("Tuesday"),
                _("Wednesday"),
                _("Thursday"),
                _("Friday"),
                _("Saturday"),
                _("Sunday"),
            ]
            return _csv(
                f"demand-by-hour-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv",
                ["weekday", "hour", "incidents", "open_minutes"],
                (
                    [day_names[d], h, cell["count"], cell["open_minutes"]]
                    for d, row in enumerate(result.grid)
                    for h, cell in enumerate(row)
                ),
            )
    days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return render(
        request,
        "agent/slm/reports/demand.html",
        {"form": form, "result": result, "rows": list(zip(days, result.grid, strict=True)) if result else [],
         "hours": range(24)},
    )  # fmt: skip


@service_level_manager_required
def service_review_report(request):
    form = ServiceReviewForm(request.GET or None)
    review = None
    if request.GET and form.is_valid():
        zone = _user_zone(request)
        start, end = form.bounds(zone)
        prev_start_date, prev_end_date = form.previous()
        prev = ServiceReviewForm(
            {"start": prev_start_date, "end": prev_end_date, "service": form.cleaned_data["service"].pk}
        )
        prev.is_valid()
        prev_start, prev_end = prev.bounds(zone)
        review = reports.service_review(form.cleaned_data["service"], start, end, prev_start, prev_end)
        if _wants_csv(request):
            return _service_review_csv(form, review)
    return render(
        request,
        "agent/slm/reports/service_review.html",
        {"form": form, "review": review, "metrics": [(m, _metric_label(m)) for m in Metric.values],
         "previous": form.previous() if review else None},
    )  # fmt: skip


def _service_review_csv(form, review) -> HttpResponse:
    cur, prev = review["current"], review["previous"]
    rows = [
        ["volume", "created", cur["created"], prev["created"]],
        ["volume", "resolved", cur["resolved"], prev["resolved"]],
        ["volume", "open_at_end", cur["open_at_end"], prev["open_at_end"]],
        ["sla", "breaches", cur["breaches"], prev["breaches"]],
        ["sla", "mttr_business_seconds", _round(cur["mttr_seconds"]), _round(prev["mttr_seconds"])],
    ]
    for metric in Metric.values:
        c, p = cur["compliance"].get(metric), prev["compliance"].get(metric)
        rows.append(["compliance_percent", metric, c and c["compliance"], p and p["compliance"]])
    for cat in review["top_categories"]:
        rows.append(["top_category", cat["path"] or "", cat["n"], ""])
    for v in review["breaches"]:
        timer = v.timer
        rows.append(
            [
                "breach",
                f"{timer.incident.number} {timer.metric}",
                max(-v.remaining_seconds, 0),
                timer.breach_reason.replace("\n", " "),
            ]
        )
    service = form.cleaned_data["service"]
    return _csv(
        f"service-review-{service.pk}-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv",
        ["section", "item", "this_period", "previous_period_or_detail"],
        rows,
    )
