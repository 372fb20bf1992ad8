"""The change API: CRUD by number, state actions, approvals, conflicts, the calendar and the
standard change catalog. Every action calls a service function; errors come back as 400 naming
the field, 403, 404, or 412 for a stale If-Match."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from changes import rules, services
from changes.api import serializers as s
from changes.choices import TemplateStatus
from changes.filtersets import ChangeFilterSet
from changes.models import Approval, ChangeRequest, ChangeTemplate
from core import roles
from core.api.idempotency import idempotent
from core.api.location import set_location
from core.api.permissions import IsAgent


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The change was modified since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


def _etag(change: ChangeRequest) -> str:
    return f'"{change.version}"'


def _if_match_version(request: Request) -> int | None:
    """The version the client read, from If-Match ("3" or W/"3"); None without the header."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(_('If-Match must be an ETag of this change, e.g. "3".'))
    return int(value)


CHANGE_ACTION_RESPONSE = {200: s.ChangeSerializer}


@extend_schema(tags=["changes"])
@extend_schema_view(
    create=extend_schema(
        request=s.ChangeWriteSerializer,
        responses={201: s.ChangeSerializer},
        description=(
            "Register a normal or emergency change, or open a standard change from an approved "
            "template (`template`: slug or id), which is scheduled at once."
        ),
    ),
    update=extend_schema(request=s.ChangeWriteSerializer, responses=s.ChangeSerializer),
    partial_update=extend_schema(request=s.ChangeWriteSerializer, responses=s.ChangeSerializer),
    destroy=extend_schema(
        description="Delete a draft (New, never submitted); anything else is cancelled instead."
    ),
)
class ChangeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Change requests, addressed by number (CHG0001234)."""

    serializer_class = s.ChangeSerializer
    permission_classes = [IsAgent]
    filterset_class = ChangeFilterSet
    lookup_field = "number"
    lookup_value_regex = "CHG[0-9]+"

    def get_queryset(self):
        return (
            ChangeRequest.objects.visible_to(self.request.user)
            .for_list()
            .select_related("opened_by", "schedule_override_by")
            .prefetch_related("services", "configuration_items")
        )

    def _respond(self, change: ChangeRequest, status_code: int = 200) -> Response:
        change = self.get_queryset().get(pk=change.pk)
        response = Response(self.get_serializer(change).data, status=status_code)
        response["ETag"] = _etag(change)
        return response

    def retrieve(self, request, *args, **kwargs):
        change = self.get_object()
        response = Response(self.get_serializer(change).data)
        response["ETag"] = _etag(change)
        return response

    @idempotent
    def create(self, request, *args, **kwargs):
        write = s.ChangeWriteSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        data = dict(write.validated_data)
        template = data.pop("template", None)
        if template is not None:
            data.pop("change_type", None)
            change = services.create_from_template(
                template,
                by=request.user,
                requester=data.get("requester"),
                planned_start=data.get("planned_start"),
                planned_end=data.get("planned_end"),
                short_description=data.get("short_description", ""),
                description=data.get("description", ""),
                implementer=data.get("implementer"),
                assignment_group=data.get("assignment_group"),
                services=data.get("services"),
                configuration_items=data.get("configuration_items"),
            )
        else:
            change = services.create_change(by=request.user, **data)
        response = self._respond(change, status.HTTP_201_CREATED)
        return set_location(response, response.data["url"])

    def update(self, request, *args, **kwargs):
        change = self.get_object()
        write = s.ChangeWriteSerializer(
            instance=change, data=request.data, partial=True, context=self.get_serializer_context()
        )
        write.is_valid(raise_exception=True)
        try:
            services.update_change(
                change, by=request.user, expected_version=_if_match_version(request), **write.validated_data
            )
        except services.StaleChange:
            raise PreconditionFailed()
        return self._respond(change)

    def destroy(self, request, *args, **kwargs):
        services.delete_draft(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- State actions ---------------------------------------------------------------------------

    @extend_schema(request=None, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def assess(self, request, number=None):
        """New → Assess (normal changes)."""
        return self._respond(services.submit_for_assessment(self.get_object(), by=request.user))

    @extend_schema(request=s.RiskAssessmentSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def risk(self, request, number=None):
        """Answer the risk questionnaire; optionally override the calculated risk with a reason."""
        body = s.RiskAssessmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        change = services.assess_risk(
            self.get_object(),
            by=request.user,
            answers={q: data[q] for q in rules.RISK_QUESTIONS},
            override_risk=data.get("override_risk", ""),
            override_reason=data.get("override_reason", ""),
        )
        return self._respond(change)

    @extend_schema(request=None, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"], url_path="request-approval")
    def request_approval(self, request, number=None):
        """Assess → Authorize (normal) or New → Authorize (emergency); notifies the approvers."""
        return self._respond(services.request_approval(self.get_object(), by=request.user))

    @extend_schema(request=s.ScheduleSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def schedule(self, request, number=None):
        """Authorize → Scheduled once approved (a freeze window needs a change manager's override)."""
        body = s.ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = services.schedule_change(
            self.get_object(), by=request.user, override_reason=body.validated_data.get("override_reason", "")
        )
        return self._respond(change)

    @extend_schema(request=s.OverrideSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def override(self, request, number=None):
        """Change managers: allow the current planned window despite a freeze window (recorded)."""
        body = s.OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = services.override_schedule(
            self.get_object(), by=request.user, reason=body.validated_data["override_reason"]
        )
        return self._respond(change)

    @extend_schema(request=None, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def start(self, request, number=None):
        """Scheduled → Implement (an emergency change may start from Authorize: retrospective approval)."""
        return self._respond(services.start_change(self.get_object(), by=request.user))

    @extend_schema(request=s.CompleteSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def complete(self, request, number=None):
        """Implement → Review with the outcome (a successful standard change closes at once)."""
        body = s.CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = services.complete_change(
            self.get_object(),
            by=request.user,
            outcome=body.validated_data["outcome"],
            notes=body.validated_data.get("outcome_notes", ""),
        )
        return self._respond(change)

    @extend_schema(request=s.CloseSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        """Close a change. From Implement give the ``outcome``: a successful standard change is
        closed at once; otherwise it moves to Review, and is closed too when ``review_notes``
        are given. From Review give the ``review_notes`` (post-implementation review)."""
        body = s.CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        change = self.get_object()
        if change.state == "implement":
            if not data.get("outcome"):
                raise ValidationError({"outcome": _("Give the outcome of the change.")})
            services.complete_change(
                change, by=request.user, outcome=data["outcome"], notes=data.get("outcome_notes", "")
            )
            if change.state == "review" and data.get("review_notes"):
                services.close_change(change, by=request.user, review_notes=data["review_notes"])
        else:
            services.close_change(change, by=request.user, review_notes=data.get("review_notes", ""))
        return self._respond(change)

    @extend_schema(request=s.ReasonSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.cancel_change(self.get_object(), by=request.user, reason=body.validated_data["reason"])
        )

    @extend_schema(request=s.ReasonSerializer, responses=CHANGE_ACTION_RESPONSE)
    @action(detail=True, methods=["post"])
    def revert(self, request, number=None):
        """Back to New; pending approvals are withdrawn."""
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.revert_to_new(self.get_object(), by=request.user, reason=body.validated_data["reason"])
        )

    @extend_schema(request=s.WorkNoteSerializer, responses={201: None})
    @action(detail=True, methods=["post"], url_path="work-notes")
    @idempotent
    def work_notes(self, request, number=None):
        body = s.WorkNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.add_work_note(self.get_object(), by=request.user, body=body.validated_data["body"])
        return Response({"id": entry.pk, "created_at": entry.created_at}, status=status.HTTP_201_CREATED)

    # --- Approvals and conflicts -----------------------------------------------------------------

    def _approvals_response(self, change: ChangeRequest, status_code: int = 200) -> Response:
        change = ChangeRequest.objects.prefetch_related(
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related("approver", "group", "requirement").order_by(
                    "-requirement__round", "id"
                ),
            )
        ).get(pk=change.pk)
        return Response(
            s.ChangeApprovalsSerializer(change, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(methods=["GET"], request=None, responses=s.ChangeApprovalsSerializer)
    @extend_schema(
        methods=["POST"],
        request=s.DecisionSerializer,
        responses=s.ChangeApprovalsSerializer,
        description="Approve or reject as the authenticated approver (a rejection needs a comment).",
    )
    @action(detail=True, methods=["get", "post"])
    def approvals(self, request, number=None):
        """The change's approvals (every round, newest first); POST decides as the caller."""
        change = self.get_object()
        if request.method == "POST":
            body = s.DecisionSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.decide(
                change,
                by=request.user,
                decision=body.validated_data["decision"],
                comment=body.validated_data.get("comment", ""),
                via="api",
            )
        return self._approvals_response(change)

    @extend_schema(request=None, responses=s.ConflictSerializer(many=True))
    @action(detail=True, methods=["get"])
    def conflicts(self, request, number=None):
        """Calendar conflicts of the change's planned window (freeze, maintenance, overlaps).
        ``blocking`` is true for a freeze that stops a normal change and is not overridden."""
        change = self.get_object()
        found = services.effective_conflicts(change, services.find_conflicts(change))
        return Response(s.ConflictSerializer(found, many=True).data)

    # --- Calendar --------------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.STR,
                required=True,
                description="Start: a date (midnight UTC) or an ISO 8601 date-time (naive = UTC).",
            ),
            OpenApiParameter(
                "to", OpenApiTypes.STR, required=True, description="End (exclusive), same format."
            ),
            OpenApiParameter("service", OpenApiTypes.INT, description="Only this service."),
        ],
        responses=s.CalendarSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def calendar(self, request):
        """Changes, maintenance window occurrences and freeze windows between ``from`` and ``to``,
        with each change's conflicts."""
        start = _parse_instant(request.query_params.get("from"), "from")
        end = _parse_instant(request.query_params.get("to"), "to")
        service = None
        if request.query_params.get("service"):
            from slm.models import Service

            raw = request.query_params["service"]
            if not raw.isdigit():
                raise ValidationError({"service": _("A service id.")})
            service = get_object_or_404(Service, pk=int(raw))
        data = services.calendar_data(start, end, service=service)
        return Response(s.CalendarSerializer(data, context=self.get_serializer_context()).data)


def _parse_instant(raw: str | None, name: str) -> datetime:
    if not raw:
        raise ValidationError({name: _("This parameter is required.")})
    try:
        value = parse_datetime(raw.replace(" ", "+")) if "T" in raw or ":" in raw else None
    except ValueError:  # well-formed but impossible, e.g. month 13 or an offset of 24 hours
        raise ValidationError({name: _("Give a date (2025-03-01) or an ISO 8601 date-time.")})
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise ValidationError({name: _("Give a date (2025-03-01) or an ISO 8601 date-time.")})
        return datetime.combine(day, time.min, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
    return value.astimezone(UTC)


@extend_schema(tags=["changes"])
class ChangeTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """The standard change catalog: approved templates (change managers also see proposed ones).
    Look up by slug or id."""

    serializer_class = s.ChangeTemplateSerializer
    permission_classes = [IsAgent]
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = None

    def get_queryset(self):
        statuses = [TemplateStatus.APPROVED]
        if roles.has_role(self.request.user, roles.CHANGE_MANAGER):
            statuses.append(TemplateStatus.PROPOSED)
        return (
            ChangeTemplate.objects.filter(status__in=statuses)
            .select_related("assignment_group")
            .prefetch_related("services", "configuration_items")
        )

    def get_object(self):
        value = self.kwargs["slug"]
        queryset = self.get_queryset()
        lookup = {"pk": int(value)} if value.isdigit() else {"slug": value}
        obj = get_object_or_404(queryset, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj

    @extend_schema(request=None, responses=s.ChangeTemplateSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, slug=None):
        """Change managers: approve the template for use (also clears a review flag)."""
        template = services.approve_template(self.get_object(), by=request.user)
        return Response(self.get_serializer(template).data)
