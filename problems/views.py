"""Agent pages of problem management: queue, detail, known errors, candidates, linking incidents.

Views are thin: forms validate input, the service functions change things, and a refused change
re-renders the page with the form's errors (status 400) instead of losing the agent's input.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.decorators import agent_required
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from problems import forms, services
from problems.choices import OPEN_STATES, CandidateStatus, State
from problems.filtersets import CandidateFilterSet, ProblemFilterSet
from problems.models import Problem, ProblemCandidate, ProblemIncident, ProblemTask
from problems.roles import is_problem_manager
from problems.rules import RESOLUTION_CODES_FROM, allowed_transitions

PAGE_SIZE = 50
SORTS = {
    "number": "-id",
    "priority": "priority",
    "state": "state",
    "age": "created_at",
    "updated": "-updated_at",
    "incidents": "-incident_count",
}


def _problem(request: HttpRequest, number: str) -> Problem:
    return get_object_or_404(Problem.objects.visible_to(request.user), number=number)


def _errors_to_form(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form (on its field when the form has one)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# --- queue and lists -----------------------------------------------------------------------------


@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    """The problem queue: filters (shared with the API), sorting, pagination, constant queries."""
    data = request.GET.copy()
    if not any(key in data for key in ("state", "open", "q", "known_error")):
        data["open"] = "true"  # open problems unless the agent asks for others
    filterset = ProblemFilterSet(data, queryset=Problem.objects.visible_to(request.user).for_list())
    sort = request.GET.get("sort", "number")
    queryset = filterset.qs.order_by(SORTS.get(sort, "-id"), "-id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "agent/problems/queue.html",
        {
            "filter": filterset,
            "page": page,
            "sort": sort,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
        },
    )


@agent_required
def known_errors(request: HttpRequest) -> HttpResponse:
    """The known error database: problems with a documented workaround, published as articles."""
    data = request.GET.copy()
    data["known_error"] = "true"
    filterset = ProblemFilterSet(data, queryset=Problem.objects.visible_to(request.user).for_list())
    page = Paginator(filterset.qs.order_by("-known_error_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "agent/problems/known_errors.html", {"filter": filterset, "page": page})


# --- create and detail ---------------------------------------------------------------------------


@agent_required
def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = forms.ProblemCreateForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            incidents = data.pop("incidents")
            try:
                problem = services.create_problem(by=request.user, incidents=incidents, **data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("%(number)s was opened.") % {"number": problem.number})
                return redirect(problem)
        return render(request, "agent/problems/create.html", {"form": form}, status=400)
    initial = {}
    numbers = forms.parse_incident_numbers(request.GET.getlist("incidents"))
    first = Incident.objects.filter(number__in=numbers).order_by("pk").first() if numbers else None
    if first is not None:
        # Opening a problem from an incident: start from what the incident says.
        initial = {
            "short_description": first.short_description,
            "service": first.service_id,
            "category": first.category_id,
            "configuration_item": first.configuration_item,
            "impact": first.impact,
            "urgency": first.urgency,
            "incidents": ", ".join(numbers),
        }
    return render(request, "agent/problems/create.html", {"form": forms.ProblemCreateForm(initial=initial)})


def _detail_context(request: HttpRequest, problem: Problem, **bound) -> dict:
    manager = is_problem_manager(request.user)
    states = [
        (s, State(s).label)
        for s in allowed_transitions(problem.state, is_manager=manager)
        if s != State.RESOLVED
    ]
    links = (
        ProblemIncident.objects.filter(problem=problem)
        .select_related("incident", "incident__caller", "incident__assignment_group", "incident__assigned_to")
        .order_by("-linked_at", "-id")
    )
    tasks = ProblemTask.objects.filter(problem=problem).select_related("assignment_group", "assigned_to")
    codes = RESOLUTION_CODES_FROM.get(problem.state)
    can_resolve = State.RESOLVED in allowed_transitions(problem.state) or problem.state == State.RESOLVED
    context = {
        "problem": problem,
        "links": links,
        "tasks": tasks,
        "timeline": problem.timeline.select_related("author"),
        "candidates": problem.candidates.all(),
        "is_manager": manager,
        "can_resolve": can_resolve and problem.state != State.RESOLVED,
        "preview": services.cascade_preview(problem) if can_resolve else None,
        "open_after_resolution": problem.state == State.RESOLVED
        and any(link.incident.state in services.OPEN_INCIDENT_STATES for link in links),
        "edit_form": forms.ProblemEditForm(instance=problem),
        "assign_form": forms.AssignForm(
            initial={"assignment_group": problem.assignment_group_id, "assigned_to": problem.assigned_to_id}
        ),
        "transition_form": forms.TransitionForm(states=states, initial={"version": problem.version}),
        "resolve_form": forms.ResolveForm(codes=codes, initial={"version": problem.version}),
        "note_form": forms.NoteForm(),
        "link_form": forms.LinkForm(),
        "known_error_form": forms.KnownErrorForm(
            initial={"audience": problem.known_error_audience, "symptoms": problem.symptoms}
        ),
        "task_form": forms.TaskForm(),
        "article": services.known_errors.article_for(problem),
        "knowledge_available": services.known_errors.knowledge_available(),
        "is_open": problem.state in OPEN_STATES,
    }
    context.update(bound)
    return context


@agent_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    return render(request, "agent/problems/detail.html", _detail_context(request, problem))


def _refused(request: HttpRequest, problem: Problem, **bound) -> HttpResponse:
    messages.error(request, _("The change was not saved. See the messages below."))
    problem.refresh_from_db()
    return render(
        request, "agent/problems/detail.html", _detail_context(request, problem, **bound), status=400
    )


@agent_required
@require_POST
def edit(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = forms.ProblemEditForm(request.POST, instance=Problem.objects.get(pk=problem.pk))
    if form.is_valid():
        try:
            services.update_problem(
                problem,
                by=request.user,
                changes=form.changes(),
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleProblemError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("%(number)s was saved.") % {"number": problem.number})
            return redirect(problem)
    return _refused(request, problem, edit_form=form, edit_open=True)


@agent_required
@require_POST
def assign(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = forms.AssignForm(request.POST)
    if form.is_valid():
        try:
            services.assign_problem(
                problem,
                by=request.user,
                group=form.cleaned_data["assignment_group"],
                assignee=form.cleaned_data["assigned_to"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("%(number)s was assigned.") % {"number": problem.number})
            return redirect(problem)
    return _refused(request, problem, assign_form=form)


@agent_required
@require_POST
def transition(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    states = [(s, State(s).label) for s in State.values]
    form = forms.TransitionForm(request.POST, states=states)
    if form.is_valid():
        target = form.cleaned_data["state"]
        reason = form.cleaned_data["reason"].strip()
        try:
            if target == State.ROOT_CAUSE_ANALYSIS and problem.state == State.CLOSED:
                services.reanalyze_problem(
                    problem, by=request.user, reason=reason, expected_version=form.cleaned_data["version"]
                )
            else:
                services.transition_problem(
                    problem,
                    by=request.user,
                    state=target,
                    reason=reason,
                    comment=reason,
                    expected_version=form.cleaned_data["version"],
                )
        except services.StaleProblemError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(number)s is now “%(state)s”.")
                % {"number": problem.number, "state": State(target).label},
            )
            return redirect(problem)
    return _refused(request, problem, transition_form=form)


@agent_required
def resolve(request: HttpRequest, number: str) -> HttpResponse:
    """Resolve with the cascade: shows which incidents will be resolved (GET) and does it (POST)."""
    problem = _problem(request, number)
    if problem.state == State.RESOLVED:
        # Resolved already: the page resolves incidents linked since, with the problem's resolution.
        codes = {problem.resolution_code}
        initial = {"fix_description": problem.fix_description}
    elif State.RESOLVED in allowed_transitions(problem.state):
        codes, initial = RESOLUTION_CODES_FROM.get(problem.state), {}
    else:
        messages.error(
            request,
            _("A problem that is “%(state)s” cannot be resolved.") % {"state": problem.get_state_display()},
        )
        return redirect(problem)
    if request.method != "POST":
        return render(
            request,
            "agent/problems/resolve.html",
            {
                "problem": problem,
                "preview": services.cascade_preview(problem),
                "resolve_form": forms.ResolveForm(
                    codes=codes, initial={"version": problem.version, **initial}
                ),
            },
        )
    form = forms.ResolveForm(request.POST, codes=codes)
    if form.is_valid():
        try:
            result = services.resolve_problem(
                problem,
                by=request.user,
                resolution_code=form.cleaned_data["resolution_code"],
                fix_description=form.cleaned_data["fix_description"],
                resolve_incidents=form.cleaned_data["resolve_incidents"],
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleProblemError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            text = _("%(number)s was resolved.") % {"number": problem.number}
            if result.resolved:
                text += " " + ngettext(
                    "%(count)d linked incident was resolved and its caller notified.",
                    "%(count)d linked incidents were resolved and their callers notified.",
                    len(result.resolved),
                ) % {"count": len(result.resolved)}
            if result.resumed:
                text += " " + ngettext(
                    "%(count)d incident waiting for the problem is back in progress.",
                    "%(count)d incidents waiting for the problem are back in progress.",
                    len(result.resumed),
                ) % {"count": len(result.resumed)}
            messages.success(request, text)
            return redirect(problem)
    return render(
        request,
        "agent/problems/resolve.html",
        {"problem": problem, "preview": services.cascade_preview(problem), "resolve_form": form},
        status=400,
    )


@agent_required
@require_POST
def note(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                problem, by=request.user, body=form.cleaned_data["body"], kind=form.cleaned_data["kind"]
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect(f"{problem.get_absolute_url()}#timeline")
    return _refused(request, problem, note_form=form)


# --- linking incidents ---------------------------------------------------------------------------


def _link_message(request: HttpRequest, problem: Problem, result: services.LinkResult) -> None:
    if result.linked:
        messages.success(
            request,
            ngettext(
                "%(count)d incident was linked to %(problem)s.",
                "%(count)d incidents were linked to %(problem)s.",
                len(result.linked),
            )
            % {"count": len(result.linked), "problem": problem.number},
        )
    if result.already:
        messages.info(
            request,
            _("Already linked to %(problem)s: %(numbers)s.")
            % {"problem": problem.number, "numbers": ", ".join(result.already)},
        )
    for number, why in result.refused.items():
        messages.warning(request, _("%(number)s was not linked: %(why)s.") % {"number": number, "why": why})


def _link_data(post):
    """The posted form, with ``numbers`` (the incident queue's checkbox name) read as ``incidents``."""
    data = post.copy()
    if "incidents" not in data and "numbers" in data:
        data.setlist("incidents", post.getlist("numbers"))
    return data


@agent_required
def link(request: HttpRequest, number: str) -> HttpResponse:
    """Link incidents to this problem: paste numbers or tick search results (GET shows the page).

    POST accepts ``incidents`` (any number of values, each one number or a pasted list), ``hold``
    and ``next``; the incident queue's bulk action posts here and gets redirected to ``next``.
    """
    problem = _problem(request, number)
    if request.method == "POST":
        form = forms.LinkForm(_link_data(request.POST))
        if form.is_valid():
            try:
                result = services.link_incidents(
                    problem,
                    by=request.user,
                    incidents=form.cleaned_data["incidents"],
                    hold=form.cleaned_data["hold"],
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                _link_message(request, problem, result)
                return redirect(_safe_next(request, problem.get_absolute_url()))
        status = 400
    else:
        form = forms.LinkForm(initial={"next": request.GET.get("next", "")})
        status = 200
    search = IncidentFilterSet(
        request.GET or None, queryset=Incident.objects.visible_to(request.user).for_list()
    )
    results = []
    if request.GET:
        results = list(search.qs.filter(problem_link__isnull=True).order_by("-id")[:50])
    return render(
        request,
        "agent/problems/link.html",
        {"problem": problem, "form": form, "search": search, "results": results},
        status=status,
    )


@agent_required
def link_to_problem(request: HttpRequest) -> HttpResponse:
    """Link incidents to a problem given by number: the incident side and the queue's bulk action.

    GET ``?incidents=INC…&incidents=INC…`` shows the chosen incidents and a problem picker.
    """
    if request.method == "POST":
        data = _link_data(request.POST)
        if not data.get("problem", "").strip() and data.get("problem_pick"):
            data["problem"] = data["problem_pick"]
        form = forms.LinkToProblemForm(data)
        if form.is_valid():
            problem = form.cleaned_data["problem"]
            try:
                result = services.link_incidents(
                    problem,
                    by=request.user,
                    incidents=form.cleaned_data["incidents"],
                    hold=form.cleaned_data["hold"],
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                _link_message(request, problem, result)
                return redirect(_safe_next(request, problem.get_absolute_url()))
        status = 400
    else:
        numbers = forms.parse_incident_numbers(
            request.GET.getlist("incidents") + request.GET.getlist("numbers")
        )
        form = forms.LinkToProblemForm(
            initial={"incidents": ", ".join(numbers), "next": request.GET.get("next", "")}
        )
        status = 200
    open_problems = (
        Problem.objects.visible_to(request.user).open().for_list().order_by("priority", "-id")[:50]
    )
    return render(
        request, "agent/problems/link_any.html", {"form": form, "open_problems": open_problems}, status=status
    )


@agent_required
@require_POST
def unlink(request: HttpRequest, number: str, incident: str) -> HttpResponse:
    problem = _problem(request, number)
    target = get_object_or_404(Incident.objects.visible_to(request.user), number=incident)
    try:
        services.unlink_incident(
            problem, by=request.user, incident=target, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(incident)s was unlinked from %(problem)s.") % {"incident": target.number, "problem": number},
        )
    return redirect(_safe_next(request, problem.get_absolute_url()))


@agent_required
@require_POST
def communicate(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    try:
        sent = services.communicate_workaround(problem, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if sent:
            messages.success(
                request,
                ngettext(
                    "The workaround was sent to the caller of %(count)d incident.",
                    "The workaround was sent to the callers of %(count)d incidents.",
                    len(sent),
                )
                % {"count": len(sent)},
            )
        else:
            messages.info(request, _("Every open linked incident already has this workaround."))
    return redirect(problem)


# --- known error ---------------------------------------------------------------------------------


@agent_required
@require_POST
def known_error(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = forms.KnownErrorForm(request.POST)
    if form.is_valid():
        try:
            services.mark_known_error(
                problem,
                by=request.user,
                audience=form.cleaned_data["audience"],
                symptoms=form.cleaned_data["symptoms"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_form(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            problem.refresh_from_db()
            article = services.known_errors.article_for(problem)
            if article is not None:
                messages.success(
                    request,
                    _("%(number)s is a known error; article %(article)s is up to date.")
                    % {"number": problem.number, "article": article.number},
                )
            else:
                messages.success(request, _("%(number)s is a known error.") % {"number": problem.number})
            return redirect(problem)
    return _refused(request, problem, known_error_form=form)


# --- tasks ---------------------------------------------------------------------------------------


@agent_required
@require_POST
def add_task(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = forms.TaskForm(request.POST)
    if form.is_valid():
        try:
            task = services.create_task(problem, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("%(task)s was added.") % {"task": task.number})
            return redirect(f"{problem.get_absolute_url()}#tasks")
    return _refused(request, problem, task_form=form)


@agent_required
@require_POST
def task_update(request: HttpRequest, number: str, task: str) -> HttpResponse:
    """Take a task (assign it to me), or move it: start, close (with a close code), re-open."""
    problem = _problem(request, number)
    item = get_object_or_404(ProblemTask, problem=problem, number=task)
    try:
        if request.POST.get("action") == "take":
            group = item.assignment_group or request.user.support_groups.filter(is_active=True).first()
            services.assign_task(item, by=request.user, group=group, assignee=request.user)
        else:
            form = forms.TaskUpdateForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.get_json_data())
            services.transition_task(
                item,
                by=request.user,
                state=form.cleaned_data["state"],
                close_code=form.cleaned_data["close_code"],
                close_notes=form.cleaned_data["close_notes"],
            )
    except ValidationError as exc:
        messages.error(request, f"{item.number}: " + " ".join(exc.messages))
    else:
        messages.success(request, _("%(task)s was updated.") % {"task": item.number})
    return redirect(f"{problem.get_absolute_url()}#tasks")


# --- candidates ----------------------------------------------------------------------------------


@agent_required
def candidates(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("status", CandidateStatus.OPEN)
    filterset = CandidateFilterSet(
        data, queryset=ProblemCandidate.objects.visible_to(request.user).for_list()
    )
    page = Paginator(filterset.qs.order_by("-score", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agent/problems/candidates.html", {"filter": filterset, "page": page})


@agent_required
@require_POST
def detect_candidates(request: HttpRequest) -> HttpResponse:
    """Run trend detection now (in the background)."""
    from problems.tasks import request_detection

    request_detection()
    messages.success(request, _("Trend detection started. New candidates appear here in a moment."))
    return redirect(reverse("problems:candidates"))


def _candidate(request: HttpRequest, pk: int) -> ProblemCandidate:
    return get_object_or_404(ProblemCandidate.objects.visible_to(request.user).for_list(), pk=pk)


@agent_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A candidate's incidents, and the form that opens a problem from it (POST)."""
    candidate = _candidate(request, pk)
    members = candidate.members.select_related(
        "caller", "assignment_group", "service", "category", "problem_link__problem"
    ).order_by("-created_at")
    if request.method == "POST":
        form = forms.ConvertForm(request.POST)
        if form.is_valid():
            try:
                problem, result = services.convert_candidate(candidate, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(
                    request, _("%(number)s was opened from the trend.") % {"number": problem.number}
                )
                _link_message(request, problem, result)
                return redirect(problem)
        status = 400
    else:
        form = forms.ConvertForm(
            initial={
                "short_description": candidate.title,
                "description": _("Opened from a detected trend of %(count)s similar incidents.")
                % {"count": candidate.member_count},
            }
        )
        status = 200
    return render(
        request,
        "agent/problems/candidate_detail.html",
        {"candidate": candidate, "members": members, "form": form, "dismiss_form": forms.DismissForm()},
        status=status,
    )


@agent_required
@require_POST
def dismiss_candidate(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    form = forms.DismissForm(request.POST)
    form.is_valid()
    try:
        services.dismiss_candidate(candidate, by=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The candidate was dismissed. It comes back only if more incidents join it.")
        )
    return redirect(_safe_next(request, reverse("problems:candidates")))
