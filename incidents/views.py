"""Agent and portal pages of incidents.

Views stay thin: forms validate input and name the field in every error, ``incidents.services``
makes every change, and every page finds its incidents through ``Incident.objects.visible_to``
(end users get 404 for anything outside their scope, whatever the URL).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_STRINGS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.choices import TimelineKind
from core.decorators import agent_required
from core.models import SupportGroup, User
from core.panels import render_panels
from core.roles import is_agent
from core.timeline import describe as describe_entry
from core.timeline import has_renderer
from incidents import services
from incidents.choices import OPEN_STATES, ContactChannel, Impact, MajorState, Priority, State
from incidents.filtersets import IncidentFilterSet
from incidents.forms import (
    AssignForm,
    AttachForm,
    BulkForm,
    CommentForm,
    EscalateForm,
    IncidentCreateForm,
    IncidentEditForm,
    LinkParentForm,
    PortalCommentForm,
    PortalReportForm,
    RateForm,
    RejectForm,
    TransitionForm,
    category_label,
    fast_selects,
    transition_fields,
    transition_label,
)
from incidents.models import Attachment, Incident
from incidents.rules import allowed_transitions
from slm.services import timers_prefetch, with_next_due

# --- helpers ----------------------------------------------------------------------------------


def _add_errors(form: django_forms.Form, exc: ValidationError, rename: dict | None = None) -> None:
    """Put a service's ValidationError on the form, on the field it names when the form has it."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        name = rename.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


# --- Agent: the queue -------------------------------------------------------------------------

QUEUE_VIEWS = {
    "mine": gettext_lazy("My open"),
    "group_unassigned": gettext_lazy("My groups, unassigned"),
    "open": gettext_lazy("All open"),
    "resolved": gettext_lazy("Recently resolved"),
}
PAGE_SIZES = (10, 25, 50, 100)
AGE_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)
DEFAULT_PAGE_SIZE = 25

# Every ordering ends on a unique column so that pages never overlap or skip rows, and matches an
# index of Incident (scanned forwards or backwards).
SORTS = {
    "number": ("number",),
    "-number": ("-number",),
    "priority": ("priority", "-id"),
    "-priority": ("-priority", "id"),
    "state": (),  # lifecycle order: see _rows_by_state
    "-state": (),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "due": (),  # breaching soonest: see slm.services.with_next_due
    "-due": (),
}
SORT_COLUMNS = [
    ("number", gettext_lazy("Number")),
    ("priority", gettext_lazy("Priority")),
    ("state", gettext_lazy("State")),
    ("updated", gettext_lazy("Updated")),
    ("created", gettext_lazy("Age")),
    ("due", gettext_lazy("SLA due")),
]
NATURAL_SORT = {
    "number": "-number",
    "priority": "priority",
    "state": "state",
    "updated": "-updated",
    "created": "-created",
    "due": "due",
}


def _int_param(params: QueryDict, name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except (TypeError, ValueError):
        return default


def _rows_by_state(qs, states, *, descending: bool, offset: int, limit: int) -> list[Incident]:
    """Rows in lifecycle order of state, newest first within a state.

    An ORDER BY over a CASE expression sorts every matching row before LIMIT applies; one
    indexed query per state (state, -id) plus one for the rows stays fast at a million incidents,
    and the number of queries depends on the states shown, never on the page size.
    """
    order = [state for state in State.values if state in set(states)]
    if descending:
        order.reverse()
    ids = []
    for state in order:
        ids += (
            qs.filter(state=state)
            .order_by("id" if descending else "-id")
            .values_list("id", flat=True)[: offset + limit]
        )
    page_ids = ids[offset : offset + limit]
    found = qs.for_list().in_bulk(page_ids)
    return [found[pk] for pk in page_ids if pk in found]


def _prepare_rows(rows: list[Incident]) -> None:
    """Labels, links and ages computed once per page, not once per cell in the template."""
    priorities = {value: str(label) for value, label in Priority.choices}
    states = {value: str(label) for value, label in State.choices}
    url = reverse("incidents:agent-detail", kwargs={"number": "NUMBER"})
    select = _("Select %(number)s")
    now = timezone.now()
    ages = {}

    def age(moment) -> str:
        seconds = max(0, int((now - moment).total_seconds()))
        for unit, size in AGE_UNITS:
            if seconds >= size or unit == "minute":
                key = (unit, seconds // size)
                if key not in ages:
                    ages[key] = avoid_wrapping(TIME_STRINGS[unit] % {"num": key[1]})
                return ages[key]
        return ""

    for row in rows:
        row.url = url.replace("NUMBER", row.number)
        row.priority_label = priorities.get(row.priority, row.priority)
        row.state_label = states.get(row.state, row.state)
        row.select_label = select % {"number": row.number}
        row.age = age(row.created_at)
        row.updated_age = age(row.updated_at)


def _queue_context(request: HttpRequest, params: QueryDict) -> dict:
    """The rows and controls of a queue page, in a constant number of queries.

    Pagination fetches one row more than the page instead of counting: a COUNT over a million
    incidents costs more than the page itself.
    """
    user = request.user
    view = params.get("view") if params.get("view") in QUEUE_VIEWS else "mine"
    base = Incident.objects.visible_to(user)
    if view == "mine":
        base = base.filter(assigned_to=user)
    elif view == "group_unassigned":
        base = base.filter(assignment_group__in=user.support_groups.all(), assigned_to__isnull=True)

    filterset = IncidentFilterSet(params, queryset=base, request=request)
    qs = filterset.qs
    states = getattr(filterset.form, "cleaned_data", {}).get("state")
    if not states:
        # The view's states apply until the agent picks states explicitly.
        states = [State.RESOLVED] if view == "resolved" else list(OPEN_STATES)
        qs = qs.filter(state__in=states)

    default_sort = "-updated" if view == "resolved" else "priority"
    sort = params.get("sort") if params.get("sort") in SORTS else default_sort
    per_page = _int_param(params, "per_page", DEFAULT_PAGE_SIZE)
    per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
    page = max(1, min(_int_param(params, "page", 1), 10_000))
    offset = (page - 1) * per_page
    if sort.lstrip("-") == "state":
        rows = _rows_by_state(qs, states, descending=sort.startswith("-"), offset=offset, limit=per_page + 1)
    elif sort.lstrip("-") == "due":
        # Breaching soonest: overdue first, then the earliest due instant; no running timer last.
        next_due = (
            F("next_due").desc(nulls_last=True)
            if sort.startswith("-")
            else F("next_due").asc(nulls_last=True)
        )
        ordered = with_next_due(qs.for_list()).order_by(next_due, "-id")
        rows = list(ordered[offset : offset + per_page + 1])
    else:
        rows = list(qs.for_list().order_by(*SORTS[sort])[offset : offset + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    # The SLA column: every row's running timers in one query.
    prefetch_related_objects(rows, timers_prefetch(active_only=True))
    _prepare_rows(rows)

    form = filterset.form
    for name in ("state", "priority"):
        form.fields[name].widget = django_forms.CheckboxSelectMultiple(choices=form.fields[name].choices)
    for name in ("created_after", "created_before", "updated_after", "updated_before"):
        form.fields[name].widget = django_forms.DateInput(attrs={"type": "date"})
    fast_selects(form)
    form.fields["category"].label_from_instance = category_label
    form.fields["created_before"].label = _("Created before")
    form.fields["updated_before"].label = _("Updated before")
    form.fields["q"].widget = django_forms.TextInput(
        attrs={
            "type": "search",
            "data-search": "",
            "placeholder": _("Number or text…"),
            "aria-keyshortcuts": "/",
        }
    )

    columns = []
    for key, label in SORT_COLUMNS:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        # Clicking the sorted column flips it; another column starts in its natural direction.
        target = (key if descending else f"-{key}") if current else NATURAL_SORT[key]
        aria = None
        if current:
            # "Age" shows the creation time reversed: newest first is ascending age.
            ascending = descending if key == "created" else not descending
            aria = "ascending" if ascending else "descending"
        columns.append({"key": key, "label": label, "sort": target, "current": current, "aria": aria})

    query = params.copy()
    for name in ("page",):
        query.pop(name, None)
    return {
        "view": view,
        "views": QUEUE_VIEWS,
        "view_label": QUEUE_VIEWS[view],
        "filterset": filterset,
        "filter_form": form,
        "rows": rows,
        "page": page,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "has_next": has_next,
        "has_previous": page > 1,
        "first_row": offset + 1,
        "last_row": offset + len(rows),
        "sort": sort,
        "columns": columns,
        "params": params,
        "query_string": query.urlencode(),
        "more_filters_open": any(
            params.get(name)
            for name in (
                "category",
                "service",
                "desk",
                "major_state",
                "unassigned",
                "created_after",
                "created_before",
                "updated_after",
                "updated_before",
            )
        ),
    }


@agent_required
@require_GET
def agent_queue(request: HttpRequest) -> HttpResponse:
    context = _queue_context(request, request.GET)
    if _is_partial(request):
        response = render(request, "agent/incidents/_queue_results.html", context)
    else:
        context["bulk_form"] = BulkForm(auto_id="id_bulk_%s")
        context["selected"] = set()
        response = render(request, "agent/incidents/queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _queue_url(query_string: str) -> str:
    query = QueryDict(query_string).urlencode()
    url = reverse("incidents:agent-queue")
    return f"{url}?{query}" if query else url


@agent_required
@require_POST
def agent_bulk(request: HttpRequest) -> HttpResponse:
    """Assign or change the state of the selected incidents; reports each row that failed."""
    form = BulkForm(request.POST, auto_id="id_bulk_%s")
    back = request.POST.get("query", "")
    if not form.is_valid():
        context = _queue_context(request, QueryDict(back))
        context.update({"bulk_form": form, "selected": set(request.POST.getlist("numbers"))})
        return render(request, "agent/incidents/queue.html", context, status=400)
    data = form.cleaned_data
    numbers = data["numbers"]
    found = {
        incident.number: incident
        for incident in Incident.objects.visible_to(request.user)
        .filter(number__in=numbers)
        .select_related("assignment_group")
    }
    done, failed = [], []
    for number in numbers:
        incident = found.get(number)
        if incident is None:
            failed.append(_("%(number)s: not found.") % {"number": number})
            continue
        try:
            if data["action"] == BulkForm.ASSIGN:
                services.assign_incident(
                    incident, by=request.user, group=data["assignment_group"], assignee=data["assigned_to"]
                )
            else:
                target = data["state"]
                if target not in allowed_transitions(incident.state):
                    failed.append(
                        _("%(number)s: cannot go from %(current)s to %(target)s.")
                        % {
                            "number": number,
                            "current": State(incident.state).label,
                            "target": State(target).label,
                        }
                    )
                    continue
                row_form = form.transition_form(incident)
                if not row_form.is_valid():
                    errors = [str(m) for messages_ in row_form.errors.values() for m in messages_]
                    failed.append(f"{number}: {' '.join(errors)}")
                    continue
                row_form.apply(incident, by=request.user, expected_version=None)
            done.append(number)
        except PermissionDenied as exc:  # a role rule, e.g. ending an accepted major incident
            failed.append(f"{number}: {exc}")
        except ValidationError as exc:
            failed.append(f"{number}: {_error_text(exc)}")
    if done:
        messages.success(
            request,
            _("%(count)d incident(s) updated: %(numbers)s.")
            % {"count": len(done), "numbers": ", ".join(done)},
        )
    for text in failed:
        messages.error(request, text)
    return redirect(_queue_url(back))


# --- Agent: create ----------------------------------------------------------------------------


@agent_required
def agent_create(request: HttpRequest) -> HttpResponse:
    """Register an incident on behalf of a caller (phone by default)."""
    status = 200
    if request.method == "POST":
        form = IncidentCreateForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    incident = services.create_incident(
                        by=request.user,
                        caller=data["caller"],
                        short_description=data["short_description"],
                        description=data["description"],
                        desk=data["desk"],
                        contact_channel=data["contact_channel"],
                        service=data["service"],
                        category=data["category"],
                        configuration_item=data["configuration_item"],
                        impact=data["impact"],
                        urgency=data["urgency"],
                        assignment_group=data["assignment_group"],
                        assigned_to=data["assigned_to"],
                    )
                    for upload in data["files"]:
                        services.add_attachment(incident, by=request.user, upload=upload, public=True)
            except ValidationError as exc:
                _add_errors(form, exc, {"file": "files"})
            else:
                messages.success(
                    request,
                    _("%(number)s registered for %(caller)s.")
                    % {"number": incident.number, "caller": incident.caller},
                )
                return redirect(incident)
        status = 400
    else:
        form = IncidentCreateForm(initial={"caller": request.GET.get("caller", "")})
    impact = form["impact"].value()
    urgency = form["urgency"].value()
    return render(
        request,
        "agent/incidents/create.html",
        {"form": form, "preview_priority": _preview_priority(impact, urgency)},
        status=status,
    )


def _preview_priority(impact, urgency) -> int | None:
    try:
        return services.compute_priority(int(impact), int(urgency))
    except (TypeError, ValueError):
        return None


@agent_required
@require_GET
def agent_priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority that impact and urgency give, through the (admin-editable) matrix."""
    priority = _preview_priority(request.GET.get("impact"), request.GET.get("urgency"))
    return render(request, "agent/incidents/_priority_preview.html", {"preview_priority": priority})


@agent_required
@require_GET
def agent_caller_search(request: HttpRequest) -> HttpResponse:
    """Options for the caller picker: active users matching every word typed."""
    words = (request.GET.get("caller") or request.GET.get("q") or "").split()[:4]
    users = []
    if words and len("".join(words)) >= 2:
        query = User.objects.filter(is_active=True)
        for word in words:
            query = query.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        users = list(
            query.select_related("organization").order_by("first_name", "last_name", "username")[:15]
        )
    return render(request, "agent/incidents/_caller_options.html", {"users": users})


@agent_required
@require_GET
def agent_assignee_options(request: HttpRequest) -> HttpResponse:
    """The agents of one group, as <option>s for the assignee select next to a group select."""
    group_id = request.GET.get("assignment_group", "")
    members = []
    if group_id.isdigit():
        group = SupportGroup.objects.filter(pk=int(group_id)).first()
        if group is not None:
            members = list(group.members.filter(is_active=True).order_by("first_name", "last_name"))
    return render(request, "agent/incidents/_assignee_options.html", {"members": members})


# --- Agent: detail and its actions ------------------------------------------------------------


def _agent_incident(request: HttpRequest, number: str) -> Incident:
    return get_object_or_404(
        Incident.objects.visible_to(request.user)
        .for_list()
        .select_related("parent", "opened_by", "resolved_by", "desk"),
        number=number.upper(),
    )


# The agent page's toggle: ``?sla=1`` shows the service-level events, hidden by default.
SHOW_SLA_PARAM = "sla"


def _shows_sla(request: HttpRequest) -> bool:
    return request.GET.get(SHOW_SLA_PARAM) == "1"


def _timeline(incident: Incident, *, public_only: bool, show_sla: bool = True) -> tuple[list, list, int]:
    """Timeline entries ready to render, the incident's attachments (public ones for callers) and
    how many service-level entries there are (left out with ``show_sla=False``).

    Files sent with a comment show inside that comment rather than as separate entries; a
    reopen's reason shows once, in the comment that repeats it. Entries whose kind another app
    registered a renderer for (``core.timeline``: SLA events) read as that app's sentence.
    Callers never see service-level records, whatever their visibility flag says.
    """
    entries = incident.timeline.select_related("author")
    attachments = incident.attachments.select_related("uploaded_by")
    if public_only:
        entries = entries.filter(is_public=True).exclude(kind=TimelineKind.SLA)
        attachments = attachments.filter(is_public=True)
    entries, attachments = list(entries), list(attachments)
    # Counted and filtered here rather than in SQL: the toggle's label needs the count, for free.
    sla_count = sum(1 for entry in entries if entry.kind == TimelineKind.SLA)
    if not show_sla:
        entries = [entry for entry in entries if entry.kind != TimelineKind.SLA]
    by_id = {attachment.pk: attachment for attachment in attachments}
    by_entry = defaultdict(list)
    for attachment in attachments:
        if attachment.timeline_entry_id:
            by_entry[attachment.timeline_entry_id].append(attachment)
    shown_ids = {entry.pk for entry in entries}
    result = []
    for index, entry in enumerate(entries):
        entry.files = by_entry.get(entry.pk, [])
        entry.attachment = None
        if entry.kind == TimelineKind.ATTACHMENT:
            attachment = by_id.get((entry.data or {}).get("attachment"))
            if attachment is None and public_only:
                continue
            if attachment is not None and attachment.timeline_entry_id in shown_ids:
                continue
            entry.attachment = attachment
        following = entries[index + 1] if index + 1 < len(entries) else None
        entry.show_body = bool(entry.body) and not (
            entry.kind == TimelineKind.STATE_CHANGE
            and following is not None
            and following.kind == TimelineKind.COMMENT
            and following.body == entry.body
        )
        entry.is_conversation = entry.kind in (TimelineKind.COMMENT, TimelineKind.WORK_NOTE)
        # A kind another app renders never shows its raw data: its sentence, else its stored text.
        entry.described = has_renderer(entry.kind)
        entry.sentence = (describe_entry(entry) or entry.body) if entry.described else None
        result.append(entry)
    return result, attachments, sla_count


def _agent_detail_response(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict | None = None,
    status: int = 200,
    stale: services.StaleIncidentError | None = None,
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    version = {"version": incident.version}
    transitions = []
    ending = (State.RESOLVED, State.CANCELLED)
    for target in allowed_transitions(incident.state):
        if target in ending and not _may_end(user, incident):
            continue  # an accepted major incident is ended by whoever conducts it
        form = bound.get(f"to-{target}") or TransitionForm(
            initial={"target": target, **version}, current=incident.state, auto_id=f"id_to_{target}_%s"
        )
        transitions.append(
            {
                "target": target,
                "label": transition_label(incident.state, target),
                "form": form,
                "fields": [form[name] for name in transition_fields(incident.state, target)],
                "danger": target == State.CANCELLED,
                "open": f"to-{target}" in bound,
            }
        )
    my_group_ids = {group.pk for group in user.support_groups.all()}
    show_sla = _shows_sla(request)
    timeline, attachments, sla_count = _timeline(incident, public_only=False, show_sla=show_sla)
    context = {
        "incident": incident,
        "timeline": timeline,
        **_sla_toggle(request, incident, show_sla=show_sla, count=sla_count),
        "attachments": attachments,
        "children": list(
            Incident.objects.filter(parent=incident).select_related("assigned_to").order_by("-id")[:100]
        ),
        "edit_form": bound.get("edit") or IncidentEditForm.for_incident(incident, auto_id="id_edit_%s"),
        "comment_form": bound.get("comment") or CommentForm(auto_id="id_comment_%s"),
        "attach_form": bound.get("attach") or AttachForm(auto_id="id_attach_%s"),
        "assign_form": bound.get("assign")
        or AssignForm(
            initial={
                "assignment_group": incident.assignment_group_id,
                "assigned_to": incident.assigned_to_id,
                **version,
            },
            group=incident.assignment_group,
            auto_id="id_assign_%s",
        ),
        "escalate_form": bound.get("escalate") or EscalateForm(initial=version, auto_id="id_escalate_%s"),
        "link_form": bound.get("link")
        or LinkParentForm(
            initial={"parent": incident.parent.number if incident.parent_id else ""}, auto_id="id_link_%s"
        ),
        "transitions": transitions,
        "open_form": next(iter(bound), None),
        "can_edit": incident.state not in (State.CLOSED, State.CANCELLED),
        "can_escalate": incident.is_open and incident.escalation_level < 3,
        "can_take": incident.assigned_to_id != user.pk
        and bool(my_group_ids)
        and incident.state not in (State.CLOSED, State.CANCELLED),
        "stale": stale,
        "preview_priority": incident.priority,
        "panels_main": render_panels("incident-agent", request, incident),
        "panels_side": render_panels("incident-agent-side", request, incident),
    }
    if "edit" in bound:
        edit = bound["edit"]
        context["preview_priority"] = _preview_priority(edit["impact"].value(), edit["urgency"].value())
    return render(request, "agent/incidents/detail.html", context, status=status)


def _sla_toggle(request: HttpRequest, incident: Incident, *, show_sla: bool, count: int) -> dict:
    """The "show service-level events" link: a plain URL (works without JavaScript) that htmx
    follows to swap in the timeline alone."""
    params = request.GET.copy()
    if show_sla:
        params.pop(SHOW_SLA_PARAM, None)
    else:
        params[SHOW_SLA_PARAM] = "1"
    query = params.urlencode()
    return {
        "show_sla": show_sla,
        "sla_count": count,
        "sla_toggle_url": f"{incident.get_absolute_url()}{'?' + query if query else ''}",
    }


@agent_required
@require_GET
def agent_detail(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    if _is_partial(request) and request.htmx.target == "timeline-block":
        # The service-level toggle: only the timeline is swapped in.
        show_sla = _shows_sla(request)
        timeline, _attachments, count = _timeline(incident, public_only=False, show_sla=show_sla)
        context = {
            "incident": incident,
            "timeline": timeline,
            **_sla_toggle(request, incident, show_sla=show_sla, count=count),
        }
        response = render(request, "agent/incidents/_timeline_block.html", context)
    else:
        response = _agent_detail_response(request, incident)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _stale_response(request, number: str, exc, bound: dict) -> HttpResponse:
    """The write was refused: show the current incident with the user's input kept."""
    incident = _agent_incident(request, number)
    return _agent_detail_response(request, incident, bound=bound, status=409, stale=exc)


@agent_required
@require_POST
def agent_edit(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    form = IncidentEditForm(request.POST, auto_id="id_edit_%s")
    if form.is_valid():
        try:
            services.update_incident(
                incident,
                by=request.user,
                changes=form.changes(),
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleIncidentError as exc:
            return _stale_response(request, number, exc, {"edit": form})
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(number)s saved.") % {"number": incident.number})
            return redirect(incident)
    return _agent_detail_response(request, incident, bound={"edit": form}, status=400)


def _save_comment(incident: Incident, *, by, body: str, public: bool, files) -> None:
    """A comment and its files in one transaction: all of it is written, or none."""
    with transaction.atomic():
        entry = services.add_comment(incident, by=by, body=body, public=public) if body.strip() else None
        for upload in files:
            services.add_attachment(incident, by=by, upload=upload, public=public, timeline_entry=entry)


@agent_required
@require_POST
def agent_comment(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    form = CommentForm(request.POST, request.FILES, auto_id="id_comment_%s")
    if form.is_valid():
        try:
            _save_comment(
                incident,
                by=request.user,
                body=form.cleaned_data["body"],
                public=form.public,
                files=form.cleaned_data["files"],
            )
        except ValidationError as exc:
            _add_errors(form, exc, {"file": "files"})
        else:
            messages.success(
                request, _("Public comment sent to the caller.") if form.public else _("Work note added.")
            )
            return redirect(f"{incident.get_absolute_url()}#timeline-end")
    return _agent_detail_response(request, incident, bound={"comment": form}, status=400)


@agent_required
@require_POST
def agent_attach(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    form = AttachForm(request.POST, request.FILES, auto_id="id_attach_%s")
    if form.is_valid():
        try:
            with transaction.atomic():
                for upload in form.cleaned_data["files"]:
                    services.add_attachment(
                        incident, by=request.user, upload=upload, public=form.cleaned_data["public"]
                    )
        except ValidationError as exc:
            _add_errors(form, exc, {"file": "files"})
        else:
            messages.success(request, _("File(s) attached."))
            return redirect(f"{incident.get_absolute_url()}#attachments")
    return _agent_detail_response(request, incident, bound={"attach": form}, status=400)


def _may_end(user, incident: Incident) -> bool:
    """Whether ``user`` may resolve or cancel ``incident`` (issue 12: an accepted major incident
    only by the incident manager role or its owner, see incidents.major_rules)."""
    if incident.major_state != MajorState.ACCEPTED:
        return True
    from incidents import major
    from incidents.models import MajorIncident

    record = MajorIncident.objects.filter(incident_id=incident.pk).only("pk", "owner_id").first()
    return record is None or major.may_conduct(user, record)


@agent_required
@require_POST
def agent_transition(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    target = request.POST.get("target", "")
    key = f"to-{target}" if target in allowed_transitions(incident.state) else "to-invalid"
    form = TransitionForm(request.POST, current=incident.state, auto_id=f"id_to_{target}_%s")
    if form.is_valid():
        if target not in allowed_transitions(incident.state):
            form.add_error(
                None,
                _("%(number)s is %(state)s now and cannot go to that state. Reload the page.")
                % {"number": incident.number, "state": incident.get_state_display()},
            )
        else:
            try:
                form.apply(incident, by=request.user, expected_version=form.cleaned_data["version"])
            except services.StaleIncidentError as exc:
                return _stale_response(request, number, exc, {})
            except PermissionDenied as exc:
                messages.error(request, str(exc))
                return _agent_detail_response(request, incident, status=403)
            except ValidationError as exc:
                _add_errors(form, exc, {"state": None, "body": "comment"})
            else:
                messages.success(
                    request,
                    _("%(number)s is now %(state)s.")
                    % {"number": incident.number, "state": incident.get_state_display()},
                )
                return redirect(incident)
    if key == "to-invalid":
        # A stale or forged target: say so at the top of the page instead of inside a form.
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _agent_detail_response(request, incident, status=400)
    return _agent_detail_response(request, incident, bound={key: form}, status=400)


@agent_required
@require_POST
def agent_assign(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    user = request.user
    if request.POST.get("me"):
        version = request.POST.get("version", "")
        groups = list(user.support_groups.filter(is_active=True))
        group = incident.assignment_group if incident.assignment_group in groups else None
        group = group or (groups[0] if groups else None)
        if group is None:
            messages.error(request, _("You are not a member of any support group."))
            return _agent_detail_response(request, incident, status=400)
        try:
            services.assign_incident(
                incident,
                by=user,
                group=group,
                assignee=user,
                expected_version=int(version) if version.isdigit() else None,
            )
        except services.StaleIncidentError as exc:
            return _stale_response(request, number, exc, {})
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return _agent_detail_response(request, incident, status=400)
        messages.success(request, _("%(number)s is assigned to you.") % {"number": incident.number})
        return redirect(incident)

    form = AssignForm(request.POST, auto_id="id_assign_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.assign_incident(
                incident,
                by=user,
                group=data["assignment_group"],
                assignee=data["assigned_to"],
                note=data["note"],
                expected_version=data["version"],
            )
        except services.StaleIncidentError as exc:
            return _stale_response(request, number, exc, {"assign": form})
        except ValidationError as exc:
            _add_errors(form, exc, {"state": None})
        else:
            messages.success(request, _("%(number)s reassigned.") % {"number": incident.number})
            return redirect(incident)
    return _agent_detail_response(request, incident, bound={"assign": form}, status=400)


@agent_required
@require_POST
def agent_escalate(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    form = EscalateForm(request.POST, auto_id="id_escalate_%s")
    if form.is_valid():
        try:
            services.escalate_incident(
                incident,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleIncidentError as exc:
            return _stale_response(request, number, exc, {"escalate": form})
        except ValidationError as exc:
            _add_errors(form, exc, {"state": None, "escalation_level": None})
        else:
            messages.success(
                request,
                _("%(number)s escalated to level %(level)d.")
                % {"number": incident.number, "level": incident.escalation_level},
            )
            return redirect(incident)
    return _agent_detail_response(request, incident, bound={"escalate": form}, status=400)


@agent_required
@require_POST
def agent_link(request: HttpRequest, number: str) -> HttpResponse:
    incident = _agent_incident(request, number)
    form = LinkParentForm(request.POST, auto_id="id_link_%s")
    if form.is_valid():
        try:
            services.link_parent(incident, by=request.user, parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            _add_errors(form, exc, {"state": None})
        else:
            parent = form.cleaned_data["parent"]
            if parent is None:
                messages.success(request, _("The parent link was removed."))
            else:
                messages.success(
                    request,
                    _("%(number)s is now a child of %(parent)s.")
                    % {"number": incident.number, "parent": parent.number},
                )
            return redirect(incident)
    return _agent_detail_response(request, incident, bound={"link": form}, status=400)


# --- Attachments ------------------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file, always as a download (never rendered inline), within the incident scope.

    End users only reach files marked visible to the caller on incidents they may see; anything
    else is a 404, as if it did not exist.
    """
    attachment = get_object_or_404(
        Attachment.objects.filter(incident__in=Incident.objects.visible_to(request.user)), pk=pk
    )
    if not attachment.is_public and not is_agent(request.user):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


# --- Portal -----------------------------------------------------------------------------------

PORTAL_PAGE_SIZE = 20
PORTAL_STATUSES = {
    "open": (State.NEW, State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED),
    "closed": (State.CLOSED, State.CANCELLED),
    "all": tuple(State.values),
}


def _shares_tickets(user) -> bool:
    return bool(user.organization_id and user.organization.share_tickets)


@login_required
@require_GET
def portal_list(request: HttpRequest) -> HttpResponse:
    """My tickets, or my organisation's where the organisation shares them."""
    user = request.user
    shared = _shares_tickets(user)
    scope = "organization" if shared and request.GET.get("scope") == "organization" else "mine"
    status = request.GET.get("status") if request.GET.get("status") in PORTAL_STATUSES else "open"
    qs = Incident.objects.visible_to(user).filter(state__in=PORTAL_STATUSES[status])
    if scope == "mine":
        qs = qs.filter(caller=user)
    page = max(1, min(_int_param(request.GET, "page", 1), 10_000))
    offset = (page - 1) * PORTAL_PAGE_SIZE
    rows = list(
        qs.select_related("caller").order_by("-updated_at", "-id")[offset : offset + PORTAL_PAGE_SIZE + 1]
    )
    return render(
        request,
        "portal/incidents/list.html",
        {
            "rows": rows[:PORTAL_PAGE_SIZE],
            "has_next": len(rows) > PORTAL_PAGE_SIZE,
            "has_previous": page > 1,
            "page": page,
            "scope": scope,
            "status": status,
            "shared": shared,
            "statuses": [
                ("open", _("Open")),
                ("closed", _("Closed")),
                ("all", _("All")),
            ],
        },
    )


@login_required
def portal_report(request: HttpRequest) -> HttpResponse:
    """An end user reports an incident: urgency in plain words, impact 3 (one person)."""
    status = 200
    if request.method == "POST":
        form = PortalReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    incident = services.create_incident(
                        by=request.user,
                        caller=request.user,
                        short_description=data["short_description"],
                        description=data["description"],
                        contact_channel=ContactChannel.PORTAL,
                        service=data["service"],
                        category=data["category"],
                        impact=Impact.LOW,
                        urgency=data["urgency"],
                    )
                    for upload in data["files"]:
                        services.add_attachment(incident, by=request.user, upload=upload, public=True)
            except ValidationError as exc:
                _add_errors(form, exc, {"file": "files", "impact": None})
            else:
                messages.success(
                    request,
                    _("Thank you. Your incident %(number)s is registered; we will keep you informed.")
                    % {"number": incident.number},
                )
                return redirect(incident.get_portal_url())
        status = 400
    else:
        form = PortalReportForm()
    return render(
        request,
        "portal/incidents/report.html",
        {
            "form": form,
            "page_panels": render_panels("incident-report-page", request, None),
            "report_panels": render_panels("incident-report-form", request, None),
        },
        status=status,
    )


def _portal_incident(request: HttpRequest, number: str) -> Incident:
    return get_object_or_404(
        Incident.objects.visible_to(request.user).select_related(
            "caller", "resolved_by", "desk", "assignment_group", "service", "category"
        ),
        number=number.upper(),
    )


def _portal_detail_response(
    request: HttpRequest, incident: Incident, *, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    timeline, attachments, _sla_count = _timeline(incident, public_only=True)
    is_caller = incident.caller_id == request.user.pk
    auto_close_at = None
    if incident.state == State.RESOLVED and incident.resolved_at and settings.INCIDENT_AUTO_CLOSE_DAYS:
        auto_close_at = incident.resolved_at + timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    context = {
        "incident": incident,
        "timeline": timeline,
        "attachments": attachments,
        "is_caller": is_caller,
        "can_comment": incident.state not in (State.CLOSED, State.CANCELLED),
        "can_decide": is_caller and incident.state == State.RESOLVED,
        "can_rate": is_caller and incident.state in (State.RESOLVED, State.CLOSED),
        "auto_close_at": auto_close_at,
        "comment_form": bound.get("comment") or PortalCommentForm(),
        "reject_form": bound.get("reject") or RejectForm(auto_id="id_reject_%s"),
        "rate_form": bound.get("rate")
        or RateForm(
            initial={"score": incident.satisfaction, "comment": incident.satisfaction_comment},
            auto_id="id_rate_%s",
        ),
        "open_form": next(iter(bound), None),
        "panels": render_panels("incident-portal", request, incident),
    }
    return render(request, "portal/incidents/detail.html", context, status=status)


@login_required
@require_GET
def portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _portal_detail_response(request, _portal_incident(request, number))


@login_required
@require_POST
def portal_comment(request: HttpRequest, number: str) -> HttpResponse:
    """A comment and/or files from the caller (or a colleague the ticket is shared with)."""
    incident = _portal_incident(request, number)
    form = PortalCommentForm(request.POST, request.FILES)
    if form.is_valid():
        if incident.state in (State.CLOSED, State.CANCELLED):
            form.add_error(None, _("This incident is closed. Report a new incident instead."))
        else:
            try:
                _save_comment(
                    incident,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    public=True,
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                _add_errors(form, exc, {"file": "files", "state": None})
            else:
                messages.success(request, _("Thank you, your comment was added."))
                return redirect(f"{incident.get_portal_url()}#timeline-end")
    return _portal_detail_response(request, incident, bound={"comment": form}, status=400)


def _caller_only(request: HttpRequest, incident: Incident) -> None:
    # Colleagues may follow a shared ticket, but only its caller decides on the resolution.
    if incident.caller_id != request.user.pk:
        raise PermissionDenied


@login_required
@require_POST
def portal_accept(request: HttpRequest, number: str) -> HttpResponse:
    incident = _portal_incident(request, number)
    _caller_only(request, incident)
    try:
        services.accept_resolution(incident, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _portal_detail_response(request, incident, status=400)
    messages.success(request, _("Thank you for confirming. The incident is closed."))
    return redirect(incident.get_portal_url())


@login_required
@require_POST
def portal_reject(request: HttpRequest, number: str) -> HttpResponse:
    incident = _portal_incident(request, number)
    _caller_only(request, incident)
    form = RejectForm(request.POST, auto_id="id_reject_%s")
    if form.is_valid():
        try:
            services.reject_resolution(incident, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc, {"state": None})
        else:
            messages.success(request, _("The incident is reopened. We are on it again."))
            return redirect(incident.get_portal_url())
    return _portal_detail_response(request, incident, bound={"reject": form}, status=400)


@login_required
@require_POST
def portal_rate(request: HttpRequest, number: str) -> HttpResponse:
    incident = _portal_incident(request, number)
    _caller_only(request, incident)
    form = RateForm(request.POST, auto_id="id_rate_%s")
    if form.is_valid():
        try:
            services.rate_resolution(
                incident,
                by=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _add_errors(form, exc, {"state": None})
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect(incident.get_portal_url())
    return _portal_detail_response(request, incident, bound={"rate": form}, status=400)
