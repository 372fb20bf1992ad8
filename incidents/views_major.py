"""Pages of the major-incident procedure: the board, the major-incident room (the same panel the
incident detail page shows), the one-click acknowledge page and the portal status page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.decorators import agent_required
from core.roles import is_agent
from incidents import major as ops
from incidents.choices import OPEN_STATES, MajorState
from incidents.forms_major import (
    DeclareForm,
    LinkChildForm,
    ReasonForm,
    ResolveForm,
    ReviewForm,
    StakeholderForm,
    StartForm,
    StatusUpdateForm,
)
from incidents.major_choices import StepState, UpdateVisibility
from incidents.models import Incident, MajorAffectedUser, MajorIncident, MajorStakeholder, PostIncidentReview


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


def cadence_display(cadence: timedelta) -> str:
    seconds = int(cadence.total_seconds())
    if seconds % 60:
        return ngettext("every %(n)d second", "every %(n)d seconds", seconds) % {"n": seconds}
    minutes = seconds // 60
    return ngettext("every %(n)d minute", "every %(n)d minutes", minutes) % {"n": minutes}


def panel_context(request: HttpRequest, incident: Incident, forms: dict | None = None) -> dict:
    """Everything the major-incident panel shows, in a bounded number of queries."""
    user = request.user
    major = (
        MajorIncident.objects.select_related(
            "owner", "proposed_by", "decided_by", "acknowledged_by", "escalation_policy"
        )
        .filter(incident=incident)
        .first()
    )
    if major is not None:
        major.incident = incident
    state = incident.major_state
    manager = ops.is_incident_manager(user)
    context = {
        "incident": incident,
        "major": major,
        "major_state": state,
        "is_manager": manager,
        "next": request.get_full_path(),
        "now": timezone.now(),
    }
    forms = forms or {}
    parent_major = _parent_major(incident)
    if parent_major is not None:
        context["parent_major"] = parent_major
        context["parent_update"] = parent_major.updates.select_related("posted_by").first()
    if (
        state in (MajorState.NONE, MajorState.REJECTED)
        and incident.is_open
        and (parent_major is None or not parent_major.is_active)
    ):
        context["propose_form"] = forms.get("propose") or ReasonForm(prefix="propose")
        if manager:
            context["declare_form"] = forms.get("declare") or DeclareForm(prefix="declare")
    elif state == MajorState.PROPOSED and manager:
        context["accept_form"] = forms.get("accept") or StartForm(
            prefix="accept", initial={"public_title": incident.short_description}
        )
        context["reject_form"] = forms.get("reject") or ReasonForm(prefix="reject")
    if major is not None and state in (MajorState.ACCEPTED, MajorState.RESOLVED):
        children = list(incident.children.select_related("caller").order_by("id"))
        counts = ops.affected_counts([major])[major.pk]
        can_conduct = ops.may_conduct(user, major)
        stakeholder_form = forms.get("stakeholder") or StakeholderForm(prefix="stakeholder")
        if not can_conduct:
            # Others follow (a user or a group); e-mail addresses outside are the conductor's.
            for name in ("address", "language"):
                stakeholder_form.fields.pop(name, None)
        context.update(
            {
                "stakeholders": list(major.stakeholders.select_related("user", "group")),
                "updates": list(major.updates.select_related("posted_by")[:100]),
                "steps": list(major.steps.order_by("order")),
                "children": children,
                "open_children": [c for c in children if c.state in OPEN_STATES],
                "child_count": counts[0],
                "affected_count": counts[1],
                "affected_users": major.affected_users.count(),
                "overdue": major.update_overdue(),
                "cadence_display": cadence_display(major.cadence),
                "can_acknowledge": ops.can_acknowledge(user, major),
                "review": PostIncidentReview.objects.filter(major=major).first(),
                "update_form": forms.get("update") or StatusUpdateForm(prefix="update"),
                "can_conduct": can_conduct,
                "stakeholder_form": stakeholder_form,
                "child_form": forms.get("child") or LinkChildForm(prefix="child"),
                "resolve_form": forms.get("resolve") or ResolveForm(prefix="resolve"),
            }
        )
    return context


def _parent_major(incident: Incident) -> MajorIncident | None:
    """The major incident this incident is a child of (accepted or resolved), if any."""
    if not incident.parent_id:
        return None
    return (
        MajorIncident.objects.select_related("incident", "owner")
        .filter(
            incident_id=incident.parent_id,
            incident__major_state__in=[MajorState.ACCEPTED, MajorState.RESOLVED],
        )
        .first()
    )


def incident_panel(request, incident):
    """Context of the "incident-agent" panel on the incident detail page."""
    if incident is None or not is_agent(request.user):
        return None
    return panel_context(request, incident)


def _incident(request, number: str) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).for_list(), number=number)


def _back(request, incident: Incident) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("major:room", number=incident.number)


def _room(request, incident: Incident, forms: dict | None = None, status: int = 200) -> HttpResponse:
    context = panel_context(request, incident, forms)
    return render(request, "agent/incidents/major/room.html", context, status=status)


def _act(request, incident: Incident, form_name: str, form, action, success: str) -> HttpResponse:
    """Validate ``form``, run ``action(form)``; on a form or domain error show the room with it."""
    if not form.is_valid():
        return _room(request, incident, {form_name: form}, status=400)
    try:
        action(form)
    except PermissionDenied as exc:
        # A role rule of the procedure (incidents.major_rules): say which, keep the room open.
        messages.error(request, str(exc))
        return _room(request, incident, status=403)
    except ValidationError as exc:
        form.add_error(None, _errors_text(exc))
        context = panel_context(request, incident, {form_name: form})
        if context.get(f"{form_name}_form") is not form:
            # The form is not offered to this user (or no longer applies): say why anyway.
            messages.error(request, _errors_text(exc))
        return render(request, "agent/incidents/major/room.html", context, status=400)
    messages.success(request, success)
    return _back(request, incident)


@agent_required
def board(request: HttpRequest) -> HttpResponse:
    """Active major incidents first, then proposals awaiting a decision, then recent resolutions."""
    active = list(MajorIncident.objects.active().for_board().order_by("accepted_at", "id"))
    counts = ops.affected_counts(active)
    levels = ops.level_counts(active)
    now = timezone.now()
    rows = [
        {
            "major": m,
            "children": counts[m.pk][0],
            "affected": counts[m.pk][1],
            "levels": levels[m.pk],
            "overdue": m.update_overdue(now),
        }
        for m in active
    ]
    proposed = (
        MajorIncident.objects.filter(
            incident__major_state=MajorState.PROPOSED, incident__state__in=OPEN_STATES
        )
        .select_related("incident", "proposed_by")
        .order_by("proposed_at")
    )
    resolved = (
        MajorIncident.objects.filter(
            incident__major_state=MajorState.RESOLVED, resolved_at__gte=now - timedelta(days=30)
        )
        .select_related("incident", "owner", "review")
        .order_by("-resolved_at")[:50]
    )
    return render(
        request,
        "agent/incidents/major/board.html",
        {"rows": rows, "proposed": proposed, "resolved": resolved, "now": now},
    )


@agent_required
def room(request: HttpRequest, number: str) -> HttpResponse:
    return _room(request, _incident(request, number))


@agent_required
@require_POST
def propose(request, number):
    incident = _incident(request, number)
    form = ReasonForm(request.POST, prefix="propose")
    return _act(
        request,
        incident,
        "propose",
        form,
        lambda f: ops.propose_major(incident, by=request.user, reason=f.cleaned_data["reason"]),
        _("%(number)s is proposed as a major incident. The incident managers are asked to decide.")
        % {"number": incident.number},
    )


def _start_kwargs(form) -> dict:
    return {
        "owner": form.cleaned_data.get("owner"),
        "cadence": form.cadence(),
        "public_title": form.cleaned_data.get("public_title") or "",
        "show_banner": bool(form.cleaned_data.get("show_banner")),
    }


@agent_required
@require_POST
def accept(request, number):
    incident = _incident(request, number)
    form = StartForm(request.POST, prefix="accept")
    return _act(
        request,
        incident,
        "accept",
        form,
        lambda f: ops.accept_major(incident, by=request.user, **_start_kwargs(f)),
        _("%(number)s is a major incident now.") % {"number": incident.number},
    )


@agent_required
@require_POST
def declare(request, number):
    incident = _incident(request, number)
    form = DeclareForm(request.POST, prefix="declare")
    return _act(
        request,
        incident,
        "declare",
        form,
        lambda f: ops.declare_major(
            incident, by=request.user, reason=f.cleaned_data["reason"], **_start_kwargs(f)
        ),
        _("%(number)s is a major incident now.") % {"number": incident.number},
    )


@agent_required
@require_POST
def reject(request, number):
    incident = _incident(request, number)
    form = ReasonForm(request.POST, prefix="reject")
    return _act(
        request,
        incident,
        "reject",
        form,
        lambda f: ops.reject_major(incident, by=request.user, reason=f.cleaned_data["reason"]),
        _("The proposal is rejected."),
    )


@agent_required
@require_POST
def post_update(request, number):
    incident = _incident(request, number)
    form = StatusUpdateForm(request.POST, prefix="update")
    return _act(
        request,
        incident,
        "update",
        form,
        lambda f: ops.post_status_update(
            incident,
            by=request.user,
            body=f.cleaned_data["body"],
            public=f.cleaned_data["visibility"] == UpdateVisibility.PUBLIC,
        ),
        _("The status update is posted and being sent."),
    )


@agent_required
@require_POST
def add_stakeholder(request, number):
    incident = _incident(request, number)
    form = StakeholderForm(request.POST, prefix="stakeholder")
    return _act(
        request,
        incident,
        "stakeholder",
        form,
        lambda f: ops.add_stakeholder(
            incident,
            by=request.user,
            user=f.cleaned_data.get("user"),
            group=f.cleaned_data.get("group"),
            address=f.cleaned_data.get("address") or "",
            language=f.cleaned_data.get("language") or "en",
        ),
        _("Stakeholder added."),
    )


@agent_required
@require_POST
def remove_stakeholder(request, number, pk):
    incident = _incident(request, number)
    holder = get_object_or_404(MajorStakeholder, pk=pk, major__incident=incident)
    try:
        ops.remove_stakeholder(holder, by=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _room(request, incident, status=403)
    messages.success(request, _("Stakeholder removed."))
    return _back(request, incident)


@agent_required
@require_POST
def acknowledge(request, number):
    incident = _incident(request, number)
    major = get_object_or_404(MajorIncident, incident=incident)
    major.incident = incident
    if not ops.can_acknowledge(request.user, major):
        messages.error(
            request, _("You were not paged for this major incident, or it is already acknowledged.")
        )
        return _back(request, incident)
    try:
        ops.acknowledge_major(incident, by=request.user, via="web")
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return _back(request, incident)
    messages.success(request, _("Acknowledged. Escalation has stopped."))
    return _back(request, incident)


@agent_required
@require_POST
def link_child(request, number):
    incident = _incident(request, number)
    form = LinkChildForm(request.POST, prefix="child")

    def action(f):
        child = Incident.objects.filter(number=f.cleaned_data["number"].strip().upper()).first()
        if child is None:
            raise ValidationError({"number": _("No incident has that number.")})
        ops.link_child(incident, by=request.user, child=child)

    return _act(request, incident, "child", form, action, _("Child incident linked."))


@agent_required
@require_POST
def resolve(request, number):
    incident = _incident(request, number)
    form = ResolveForm(request.POST, prefix="resolve")
    return _act(
        request,
        incident,
        "resolve",
        form,
        lambda f: ops.resolve_major_with_children(
            incident,
            by=request.user,
            resolution_code=f.cleaned_data["resolution_code"],
            resolution_notes=f.cleaned_data["resolution_notes"],
            resolve_child_incidents=f.cleaned_data["resolve_children"],
        ),
        _("The major incident is resolved."),
    )


@agent_required
@require_POST
def resolve_children(request, number):
    incident = _incident(request, number)
    try:
        done = ops.resolve_children(incident, by=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _room(request, incident, status=403)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return _back(request, incident)
    messages.success(request, _("%(count)d child incident(s) resolved.") % {"count": len(done)})
    return _back(request, incident)


@agent_required
@require_http_methods(["GET", "POST"])
def review(request, number):
    incident = _incident(request, number)
    major = get_object_or_404(MajorIncident.objects.select_related("owner"), incident=incident)
    major.incident = incident
    existing = PostIncidentReview.objects.filter(major=major).first()
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                ops.record_review(incident, by=request.user, review=ops.ReviewInput(**form.cleaned_data))
            except ValidationError as exc:
                form.add_error(None, _errors_text(exc))
            else:
                messages.success(request, _("The post-incident review is saved."))
                return redirect("major:review", number=incident.number)
    elif existing is not None:
        form = ReviewForm(
            initial={
                "timeline_summary": existing.timeline_summary,
                "root_cause": existing.root_cause,
                "actions": existing.actions,
                "lessons": existing.lessons,
            }
        )
    else:
        form = ReviewForm(initial={"timeline_summary": ops.review_timeline(major)})
    return render(
        request,
        "agent/incidents/major/review.html",
        {"incident": incident, "major": major, "review": existing, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def ack_link(request, token: str):
    """The link in an escalation message. GET only shows the button: mail scanners that follow
    links must not acknowledge (and so silence) an escalation. POST records it, once."""
    try:
        payload = ops.read_ack_token(token)
        major = MajorIncident.objects.select_related("incident", "acknowledged_by").get(
            steps__pk=payload.get("s")
        )
    except (ValidationError, MajorIncident.DoesNotExist):
        return render(request, "agent/incidents/major/ack.html", {"invalid": True}, status=404)
    done = None
    if request.method == "POST":
        try:
            major, done = ops.acknowledge_with_token(token)
        except ValidationError as exc:
            return render(
                request,
                "agent/incidents/major/ack.html",
                {"major": major, "error": _errors_text(exc)},
                status=409,
            )
    return render(request, "agent/incidents/major/ack.html", {"major": major, "done": done, "token": token})


def _public_major(number: str) -> MajorIncident:
    major = (
        MajorIncident.objects.select_related("incident", "incident__service")
        .filter(
            incident__number=number,
            show_banner=True,
            incident__major_state__in=[MajorState.ACCEPTED, MajorState.RESOLVED],
        )
        .first()
    )
    if major is None:
        raise Http404
    return major


@login_required
def portal_detail(request, number: str):
    """The public status page of a major incident: title, service, public updates only."""
    major = _public_major(number)
    updates = major.updates.filter(visibility=UpdateVisibility.PUBLIC).select_related("posted_by")
    following = major.pk in _following(request.user, [major])
    return render(
        request,
        "portal/incidents/major/detail.html",
        {"major": major, "updates": updates, "following": following},
    )


@login_required
@require_POST
def portal_join(request, number: str):
    """ "This affects me too": follow the major incident instead of reporting a duplicate."""
    major = _public_major(number)
    try:
        _row, created = ops.join_as_affected(major, user=request.user)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return redirect("major:portal-detail", number=number)
    if created:
        messages.success(
            request,
            _("Thank you. We know this affects you too and will send you every update until it is fixed."),
        )
    else:
        messages.info(request, _("You are already following this major incident."))
    return redirect("major:portal-detail", number=number)


def portal_banner(request, obj=None):
    """Context of the portal banners (home page and report form): active announced majors,
    only those of the chosen service on the report form when a service is known."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    majors = MajorIncident.objects.on_portal().select_related("incident", "incident__service")
    service_id = getattr(obj, "pk", None) if obj is not None and obj.__class__.__name__ == "Service" else None
    if service_id is None and obj is not None and getattr(obj, "service_id", None):
        service_id = obj.service_id
    if service_id is None:
        raw = request.GET.get("service", "")
        service_id = int(raw) if raw.isdigit() else None
    if service_id is not None:
        majors = majors.filter(incident__service_id=service_id)
    majors = list(majors.order_by("accepted_at")[:5])
    if not majors:
        return None
    return {"majors": majors, "following": _following(user, majors)}


def _following(user, majors: list[MajorIncident]) -> set[int]:
    """The majors the user already hears about: joined, its caller, or caller of a child."""
    by_incident = {m.incident_id: m.pk for m in majors}
    following = set(
        MajorAffectedUser.objects.filter(major__in=majors, user=user).values_list("major_id", flat=True)
    )
    following |= {m.pk for m in majors if m.incident.caller_id == user.pk}
    children = Incident.objects.filter(parent_id__in=by_incident, caller=user).values_list(
        "parent_id", flat=True
    )
    following |= {by_incident[parent_id] for parent_id in children}
    return following


def portal_incident_banner(request, incident):
    """On an end user's incident: a note when it is (part of) an announced major incident."""
    if incident is None:
        return None
    target_id = incident.parent_id or incident.pk
    major = MajorIncident.objects.on_portal().select_related("incident").filter(incident_id=target_id).first()
    if major is None:
        return None
    return {"majors": [major], "following": _following(request.user, [major])}


def agent_home_widget(request, obj=None):
    if not is_agent(request.user):
        return None
    active = list(MajorIncident.objects.active().for_board().order_by("accepted_at")[:10])
    proposed = MajorIncident.objects.filter(
        incident__major_state=MajorState.PROPOSED, incident__state__in=OPEN_STATES
    ).count()
    if not active and not proposed:
        return None
    now = timezone.now()
    return {
        "rows": [{"major": m, "overdue": m.update_overdue(now)} for m in active],
        "proposed_count": proposed,
        "StepState": StepState,
    }


@agent_required
@require_POST
def review_problem(request, number):
    """One click: open a problem from the post-incident review (problems app)."""
    from problems.services import create_problem_from_review

    incident = _incident(request, number)
    review = get_object_or_404(PostIncidentReview, major__incident=incident)
    try:
        problem = create_problem_from_review(review, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return redirect("major:review", number=incident.number)
    messages.success(request, _("Problem %(number)s is opened from the review.") % {"number": problem.number})
    return redirect(problem.get_absolute_url())
