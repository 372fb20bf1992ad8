"""Agent pages of change enablement: queue, detail with risk and approvals, create (also from a
standard change template), edit, the change calendar, the CAB view and the e-mailed approval
link. Thin: forms validate, ``changes.services`` does the work."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, datetime, time, timedelta
from functools import wraps
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from changes import forms as change_forms
from changes import rules, services
from changes.choices import (
    FAILED_OUTCOMES,
    ApprovalState,
    ApprovalStatus,
    ChangeState,
    ChangeType,
    TemplateStatus,
)
from changes.filtersets import ChangeFilterSet
from changes.models import Approval, ApprovalRequirement, ChangeRequest, ChangeTemplate
from core import roles
from core.decorators import agent_required

S = ChangeState
PAGE_SIZE = 25
SORTS = {
    "number": "number",
    "-number": "-number",
    "planned_start": "planned_start",
    "-planned_start": "-planned_start",
    "created": "created_at",
    "-created": "-created_at",
}


def user_timezone(view):
    """Render in the signed-in user's time zone (forms read datetime-local input in it too)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        name = getattr(request.user, "time_zone", "") or settings.TIME_ZONE
        try:
            tz = ZoneInfo(name)
        except (KeyError, ValueError):
            tz = ZoneInfo(settings.TIME_ZONE)
        with timezone.override(tz):
            return view(request, *args, **kwargs)

    return wrapper


def agent_view(view):
    return agent_required(user_timezone(view))


def _get_change(request: HttpRequest, number: str) -> ChangeRequest:
    return get_object_or_404(
        ChangeRequest.objects.visible_to(request.user)
        .for_list()
        .select_related("opened_by", "risk_assessed_by", "schedule_override_by"),
        number=number.upper(),
    )


def _field_label(name: str) -> str:
    try:
        return str(ChangeRequest._meta.get_field(name).verbose_name).capitalize()
    except Exception:
        return {
            "approval": _("Approval"),
            "reason": _("Reason"),
            "override_reason": _("Override reason"),
        }.get(name, "")


def _error_lines(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        lines = []
        for name, errors in exc.message_dict.items():
            label = _field_label(name)
            lines += [f"{label}: {message}" if label else message for message in errors]
        return lines
    return list(exc.messages)


def _apply_errors(form, exc: ValidationError) -> None:
    """Put a service's validation errors on the form's fields (others as non-field errors)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# --- Queue ---------------------------------------------------------------------------------------


@agent_view
def queue(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("scope", "open")
    filterset = ChangeFilterSet(
        data, queryset=ChangeRequest.objects.visible_to(request.user).for_list(), request=request
    )
    queryset = filterset.qs
    sort = request.GET.get("sort", "")
    queryset = (
        queryset.order_by(SORTS[sort], "-id") if sort in SORTS else queryset.order_by("-created_at", "-id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = data.copy()
    keep.pop("page", None)
    return render(
        request,
        "agent/changes/queue.html",
        {"filter": filterset, "page": page, "query": keep.urlencode(), "sort": sort},
    )


# --- Detail and actions --------------------------------------------------------------------------


def available_actions(change: ChangeRequest, user, *, blocked: bool) -> dict[str, bool]:
    state, kind = change.state, change.change_type
    allowed = rules.allowed_transitions(kind, state)
    return {
        "edit": bool(services.EDITABLE_FIELDS[state]),
        "risk": kind != ChangeType.STANDARD and state in (S.NEW, S.ASSESS),
        "assess": kind == ChangeType.NORMAL and state == S.NEW,
        "request_approval": S.AUTHORIZE in allowed,
        "schedule": state == S.AUTHORIZE and change.approval_status == ApprovalStatus.APPROVED,
        "start": state == S.SCHEDULED
        or (
            kind == ChangeType.EMERGENCY
            and state == S.AUTHORIZE
            and change.approval_status == ApprovalStatus.REQUESTED
        ),
        "start_retrospective": kind == ChangeType.EMERGENCY and state == S.AUTHORIZE,
        "complete": state == S.IMPLEMENT,
        "close": state == S.REVIEW,
        "cancel": S.CANCELLED in allowed,
        "revert": S.NEW in allowed and kind != ChangeType.STANDARD,
        "override": blocked and roles.has_role(user, roles.CHANGE_MANAGER),
        "delete": state == S.NEW and not change.approval_round and not change.template_id,
    }


def _detail_context(request: HttpRequest, change: ChangeRequest, **overrides) -> dict:
    user = request.user
    requirements = list(
        ApprovalRequirement.objects.filter(change=change)
        .order_by("-round", "id")
        .prefetch_related(
            Prefetch(
                "approvals", queryset=Approval.objects.select_related("approver", "group").order_by("id")
            )
        )
    )
    current = [r for r in requirements if r.round == change.approval_round and change.approval_round]
    earlier = [r for r in requirements if r not in current]
    my_pending = [
        a
        for r in current
        for a in r.approvals.all()
        if a.approver_id == user.pk and a.state == ApprovalState.REQUESTED
    ]
    conflicts = services.find_conflicts(change) if change.is_open else []
    blocking = services.blocking_conflicts(change, conflicts)
    conflicts = services.effective_conflicts(change, conflicts)
    answers = change.risk_answers or {}
    context = {
        "change": change,
        "services_list": list(change.services.all()),
        "cis": list(change.configuration_items.all()),
        "current_requirements": current,
        "earlier_requirements": earlier,
        "my_pending": my_pending,
        "conflicts": conflicts,
        "blocking": blocking,
        "override_applies": change.override_covers_window(),
        "actions": available_actions(change, user, blocked=bool(blocking)),
        "timeline": change.timeline.select_related("author"),
        "risk_form": change_forms.RiskForm(
            initial={
                **answers,
                "override_risk": change.risk if change.risk_override_reason else "",
                "override_reason": change.risk_override_reason,
            }
        ),
        "decision_form": change_forms.DecisionForm(),
        "cancel_form": change_forms.ReasonForm(prefix="cancel"),
        "revert_form": change_forms.ReasonForm(prefix="revert"),
        "override_form": change_forms.OverrideForm(),
        "complete_form": change_forms.CompleteForm(),
        "close_form": change_forms.CloseForm(initial={"review_notes": change.review_notes}),
        "note_form": change_forms.WorkNoteForm(),
        "action_errors": [],
        "is_change_manager": roles.has_role(user, roles.CHANGE_MANAGER),
    }
    context.update(overrides)
    return context


@agent_view
def detail(request: HttpRequest, number: str) -> HttpResponse:
    change = _get_change(request, number)
    return render(request, "agent/changes/detail.html", _detail_context(request, change))


# action → (form class or None, form prefix, form context name)
_ACTION_FORMS = {
    "risk": (change_forms.RiskForm, None, "risk_form"),
    "decide": (change_forms.DecisionForm, None, "decision_form"),
    "cancel": (change_forms.ReasonForm, "cancel", "cancel_form"),
    "revert": (change_forms.ReasonForm, "revert", "revert_form"),
    "override": (change_forms.OverrideForm, None, "override_form"),
    "complete": (change_forms.CompleteForm, None, "complete_form"),
    "close": (change_forms.CloseForm, None, "close_form"),
    "note": (change_forms.WorkNoteForm, None, "note_form"),
}
_PLAIN_ACTIONS = {"assess", "request-approval", "schedule", "start", "delete"}


def _run_action(action: str, change: ChangeRequest, user, data: dict) -> str:
    """Call the service for ``action``; returns the success message."""
    if action == "assess":
        services.submit_for_assessment(change, by=user)
        return _("Submitted for assessment.")
    if action == "request-approval":
        services.request_approval(change, by=user)
        return _("Approval requested.")
    if action == "schedule":
        services.schedule_change(change, by=user)
        return _("The change is scheduled.")
    if action == "start":
        services.start_change(change, by=user)
        return _("Implementation started.")
    if action == "delete":
        services.delete_draft(change, by=user)
        return _("The draft was deleted.")
    if action == "risk":
        services.assess_risk(
            change,
            by=user,
            answers={q: data[q] for q in rules.RISK_QUESTIONS},
            override_risk=data.get("override_risk") or "",
            override_reason=data.get("override_reason") or "",
        )
        return _("Risk assessed: %(risk)s.") % {"risk": change.get_risk_display()}
    if action == "decide":
        services.decide(change, by=user, decision=data["decision"], comment=data.get("comment", ""))
        return _("Your decision is recorded.")
    if action == "cancel":
        services.cancel_change(change, by=user, reason=data["reason"])
        return _("The change is cancelled.")
    if action == "revert":
        services.revert_to_new(change, by=user, reason=data["reason"])
        return _("The change is back in New.")
    if action == "override":
        services.override_schedule(change, by=user, reason=data["override_reason"])
        return _("The override is recorded.")
    if action == "complete":
        services.complete_change(change, by=user, outcome=data["outcome"], notes=data.get("notes", ""))
        return _("The outcome is recorded.")
    if action == "close":
        services.close_change(change, by=user, review_notes=data["review_notes"])
        return _("The change is closed.")
    if action == "note":
        services.add_work_note(change, by=user, body=data["body"])
        return _("Work note added.")
    raise Http404


@agent_view
@require_POST
def change_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    if action not in _ACTION_FORMS and action not in _PLAIN_ACTIONS:
        raise Http404
    change = _get_change(request, number)
    back_to_cab = request.POST.get("next") == "cab"
    form = None
    data: dict = {}
    if action in _ACTION_FORMS:
        form_class, prefix, _name = _ACTION_FORMS[action]
        form = form_class(request.POST, prefix=prefix)
        if form.is_valid():
            data = form.cleaned_data
    if form is None or form.is_bound and not form.errors:
        try:
            message = _run_action(action, change, request.user, data)
        except ValidationError as exc:
            if form is not None:
                _apply_errors(form, exc)
            else:
                return _rerender(request, change, status=400, action_errors=_error_lines(exc))
        except PermissionDenied as exc:
            if back_to_cab:
                messages.error(request, str(exc) or _("You are not allowed to do that."))
                return redirect("changes:cab")
            return _rerender(request, change, status=403, action_errors=[str(exc) or _("Not allowed.")])
        else:
            messages.success(request, message)
            if action == "delete":
                return redirect("changes:queue")
            if back_to_cab:
                return redirect("changes:cab")
            return redirect(change.get_absolute_url())
    if back_to_cab:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"{change.number}: {message}")
        return redirect("changes:cab")
    change = _get_change(request, number)
    return _rerender(request, change, status=400, **{_ACTION_FORMS[action][2]: form, "open_form": action})


def _rerender(request, change, *, status: int, **overrides) -> HttpResponse:
    change = _get_change(request, change.number) if change.pk else change
    return render(
        request, "agent/changes/detail.html", _detail_context(request, change, **overrides), status=status
    )


# --- Create and edit -----------------------------------------------------------------------------


@agent_view
def create(request: HttpRequest) -> HttpResponse:
    initial = {"change_type": request.GET.get("type") or ChangeType.NORMAL, "requester": request.user.pk}
    form = change_forms.ChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        kwargs["requester"] = kwargs.get("requester") or request.user
        try:
            change = services.create_change(by=request.user, **kwargs)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(number)s registered.") % {"number": change.number})
            return redirect(change.get_absolute_url())
    return render(
        request,
        "agent/changes/form.html",
        {"form": form, "change": None},
        status=400 if request.method == "POST" else 200,
    )


def _initial_from(change: ChangeRequest) -> dict:
    return {
        "change_type": change.change_type,
        "short_description": change.short_description,
        "description": change.description,
        "justification": change.justification,
        "services": list(change.services.all()),
        "configuration_items": ", ".join(ci.name for ci in change.configuration_items.all()),
        "requester": change.requester_id,
        "assignment_group": change.assignment_group_id,
        "implementer": change.implementer_id,
        "impact": change.impact,
        "planned_start": timezone.localtime(change.planned_start) if change.planned_start else None,
        "planned_end": timezone.localtime(change.planned_end) if change.planned_end else None,
        "implementation_plan": change.implementation_plan,
        "backout_plan": change.backout_plan,
        "test_plan": change.test_plan,
        "version": change.version,
    }


@agent_view
def edit(request: HttpRequest, number: str) -> HttpResponse:
    change = _get_change(request, number)
    editable = set(services.EDITABLE_FIELDS[change.state])
    if change.change_type == ChangeType.STANDARD:
        editable.discard("change_type")
    if not editable:
        messages.error(
            request, _("A %(state)s change cannot be edited.") % {"state": change.get_state_display()}
        )
        return redirect(change.get_absolute_url())
    form = change_forms.ChangeForm(request.POST or None, initial=_initial_from(change), editable=editable)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        if "requester" in kwargs and kwargs["requester"] is None:
            kwargs.pop("requester")
        try:
            services.update_change(
                change, by=request.user, expected_version=form.cleaned_data.get("version"), **kwargs
            )
        except services.StaleChange:
            form.add_error(
                None,
                _("Someone else changed %(number)s while you were editing. Reload the page and try again.")
                % {"number": change.number},
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(number)s updated.") % {"number": change.number})
            return redirect(change.get_absolute_url())
    return render(
        request,
        "agent/changes/form.html",
        {"form": form, "change": change},
        status=400 if request.method == "POST" else 200,
    )


# --- Standard change catalog ---------------------------------------------------------------------


@agent_view
def template_catalog(request: HttpRequest) -> HttpResponse:
    manager = roles.has_role(request.user, roles.CHANGE_MANAGER)
    statuses = [TemplateStatus.APPROVED, TemplateStatus.PROPOSED] if manager else [TemplateStatus.APPROVED]
    templates = (
        ChangeTemplate.objects.filter(status__in=statuses)
        .select_related("assignment_group", "approved_by")
        .prefetch_related("services")
        .annotate(
            used=Count("changes", distinct=True),
            failed=Count("changes", filter=Q(changes__outcome__in=FAILED_OUTCOMES), distinct=True),
        )
        .order_by("status", "name")
    )
    return render(
        request, "agent/changes/templates.html", {"templates": templates, "is_change_manager": manager}
    )


@agent_view
def use_template(request: HttpRequest, slug: str) -> HttpResponse:
    template = get_object_or_404(
        ChangeTemplate.objects.prefetch_related("services", "configuration_items"), slug=slug
    )
    if not template.is_usable:
        raise Http404
    form = change_forms.TemplateChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.create_from_template(
                template,
                by=request.user,
                planned_start=data.get("planned_start"),
                planned_end=data.get("planned_end"),
                short_description=data.get("short_description") or "",
                description=data.get("description") or "",
                implementer=data.get("implementer"),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("%(number)s opened and scheduled (pre-approved).") % {"number": change.number}
            )
            return redirect(change.get_absolute_url())
    return render(
        request,
        "agent/changes/template_use.html",
        {"template": template, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@agent_view
@require_POST
def template_decision(request: HttpRequest, slug: str, decision: str) -> HttpResponse:
    template = get_object_or_404(ChangeTemplate, slug=slug)
    if decision == "approve":
        services.approve_template(template, by=request.user)
        messages.success(request, _("The template “%(name)s” is approved.") % {"name": template.name})
    elif decision == "retire":
        services.retire_template(template, by=request.user)
        messages.success(request, _("The template “%(name)s” is retired.") % {"name": template.name})
    else:
        raise Http404
    return redirect("changes:templates")


# --- Calendar ------------------------------------------------------------------------------------


def _local_days(start: datetime, end: datetime) -> tuple[date, date]:
    """First and last local date an interval touches (its end is exclusive)."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    return first, last


@agent_view
def change_calendar(request: HttpRequest) -> HttpResponse:
    form = change_forms.CalendarForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    view = data.get("view") or "month"
    today = timezone.localdate()
    day = data.get("date") or today
    service = data.get("service")
    tz = timezone.get_current_timezone()
    if view == "week":
        grid_start = day - timedelta(days=day.weekday())
        grid_end = grid_start + timedelta(days=7)
        prev_day, next_day = day - timedelta(days=7), day + timedelta(days=7)
    else:
        first = day.replace(day=1)
        last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
        grid_start = first - timedelta(days=first.weekday())
        grid_end = last + timedelta(days=7 - last.weekday())
        prev_day = (first - timedelta(days=1)).replace(day=1)
        next_day = last + timedelta(days=1)
    start = datetime.combine(grid_start, time.min, tzinfo=tz)
    end = datetime.combine(grid_end, time.min, tzinfo=tz)
    cal = services.calendar_data(start, end, service=service)

    days = {}
    current = grid_start
    while current < grid_end:
        days[current] = {
            "date": current,
            "changes": [],
            "maintenance": [],
            "freezes": [],
            "in_month": view == "week" or current.month == day.month,
            "today": current == today,
        }
        current += timedelta(days=1)

    def spread(kind, item, item_start, item_end):
        first_day, last_day = _local_days(item_start, item_end)
        d = max(first_day, grid_start)
        while d <= last_day and d < grid_end:
            days[d][kind].append(item)
            d += timedelta(days=1)

    for entry in cal.changes:
        spread("changes", entry, entry.change.planned_start, entry.change.planned_end)
    for occurrence in cal.maintenance:
        spread("maintenance", occurrence, occurrence.start, occurrence.end)
    for freeze in cal.freezes:
        spread("freezes", freeze, freeze.start, freeze.end)
    day_list = list(days.values())
    weeks = [day_list[i : i + 7] for i in range(0, len(day_list), 7)]

    def link(**params) -> str:
        query = {
            "view": view,
            "date": day.isoformat(),
            **({"service": service.pk} if service else {}),
            **params,
        }
        return "?" + urlencode(query)

    return render(
        request,
        "agent/changes/calendar.html",
        {
            "form": form,
            "view": view,
            "day": day,
            "weeks": weeks,
            "days": day_list,
            "calendar": cal,
            "conflicted": [c for c in cal.changes if c.has_conflicts],
            "prev_link": link(date=prev_day.isoformat()),
            "next_link": link(date=next_day.isoformat()),
            "today_link": link(date=today.isoformat()),
            "month_link": link(view="month"),
            "week_link": link(view="week"),
            "weekday_names": [WEEKDAYS_ABBR[i] for i in range(7)],
            "tz_name": str(tz),
        },
    )


# --- CAB -----------------------------------------------------------------------------------------


@agent_view
def cab(request: HttpRequest) -> HttpResponse:
    """Changes awaiting approval from the user or from their groups, with inline decisions."""
    user = request.user
    group_ids = list(user.support_groups.values_list("pk", flat=True))
    changes = list(
        ChangeRequest.objects.filter(approval_status=ApprovalStatus.REQUESTED)
        .filter(
            Q(approvals__approver=user) | Q(approvals__group__in=group_ids),
            approvals__state=ApprovalState.REQUESTED,
            approvals__requirement__round=F("approval_round"),
        )
        .distinct()
        .for_list()
        .prefetch_related(
            "services",
            Prefetch(
                "requirements",
                queryset=ApprovalRequirement.objects.prefetch_related(
                    Prefetch("approvals", queryset=Approval.objects.select_related("approver", "group"))
                ),
            ),
        )
        .order_by("planned_start", "number")
    )
    rows = []
    for change in changes:
        requirements = [r for r in change.requirements.all() if r.round == change.approval_round]
        mine = [
            a
            for r in requirements
            for a in r.approvals.all()
            if a.approver_id == user.pk and a.state == ApprovalState.REQUESTED
        ]
        rows.append(
            {
                "change": change,
                "requirements": requirements,
                "mine": bool(mine),
                "form": change_forms.DecisionForm(prefix=None),
            }
        )
    return render(
        request,
        "agent/changes/cab.html",
        {"rows": rows, "mine_count": sum(1 for r in rows if r["mine"])},
    )


# --- E-mailed approval link ----------------------------------------------------------------------


@login_required
@user_timezone
def approval_link(request: HttpRequest, token: str) -> HttpResponse:
    """The decision page an approver reaches from the e-mail. GET only shows the change (mail
    scanners prefetch links); the POST decides and consumes the link. Only the approver the
    link was sent to, signed in as themselves, can use it, and only once."""
    base = "agent/base.html" if roles.is_agent(request.user) else "portal/base.html"
    try:
        approval = services.resolve_approval_link(token, user=request.user)
    except services.ApprovalLinkError as exc:
        status = {"wrong_user": 403, "used": 410, "expired": 410}.get(exc.code, 400)
        return render(
            request, "agent/changes/approval_link.html", {"error": exc.message, "base": base}, status=status
        )
    form = change_forms.DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.decide_via_link(
                token,
                by=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except services.ApprovalLinkError as exc:
            return render(
                request, "agent/changes/approval_link.html", {"error": exc.message, "base": base}, status=410
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("Your decision on %(number)s is recorded.") % {"number": change.number}
            )
            if roles.is_agent(request.user):
                return redirect(change.get_absolute_url())
            return render(request, "agent/changes/approval_link.html", {"done": change, "base": base})
    change = approval.change
    return render(
        request,
        "agent/changes/approval_link.html",
        {
            "approval": approval,
            "change": change,
            "form": form,
            "base": base,
            "services_list": list(change.services.all()),
            "link_url": reverse("changes:approval-link", args=[token]),
        },
        status=400 if request.method == "POST" else 200,
    )
