"""The incident API: ``/api/v1/incidents/`` and its actions, comments, timeline and attachments.

- Scope: every lookup goes through ``Incident.objects.visible_to(user)``, so another user's
  incident is a 404 on every endpoint, never a 403 that would reveal that it exists.
- Writes: each request runs in one transaction with the incident row locked, and calls the
  domain services only. ``If-Match`` (optional) is checked under that lock; a mismatch, or a
  ``StaleIncidentError`` from a service, is a 412 with the current version.
- Reads carry ``ETag: "<number>-v<version>"``; ``If-None-Match`` answers 304.
"""

from __future__ import annotations

from django.db import transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import StrictDjangoFilterBackend, StrictOrderingFilter
from core.api.idempotency import idempotent
from core.api.location import set_location
from core.api.parsers import FormParser, JSONParser, MultiPartParser
from core.roles import is_agent
from incidents import services
from incidents.api.serializers import (
    AssignSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CommentSerializer,
    IncidentReasonSerializer,
    IncidentSerializer,
    RateSerializer,
    ResolveSerializer,
    TimelineEntrySerializer,
)
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from incidents.rules import allowed_transitions
from slm.services import timers_prefetch

# Filters of the agent queue that end users have no use for (and could probe other users with).
AGENT_ONLY_FILTERS = frozenset(
    {"assignment_group", "assigned_to", "unassigned", "desk", "caller", "major_state"}
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The incident changed since you read it.")
    default_code = "precondition_failed"


class StaleErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    version = serializers.IntegerField(help_text=_("The incident's current version."))
    etag = serializers.CharField(help_text=_("The incident's current ETag."))


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        'The ETag you read, e.g. "INC0001042-v3". When it is not the current one the write is refused '
        "with 412 and nothing changes. Optional: without it the write applies to the current version."
    ),
)
STALE = OpenApiResponse(StaleErrorSerializer, description="If-Match does not match the current version.")
WRITE_RESPONSES = {200: IncidentSerializer, 400: OpenApiResponse(description="Invalid input."), 412: STALE}
NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. INC0001042")

END_USER_NOTE = (
    "End users (portal users) see only their own incidents (and their organisation's when it shares "
    "tickets); anything else is a 404. They report incidents with short_description, description, "
    "category, service and urgency; afterwards they change them only through comments, attachments, "
    "accept, reject and rate. Internal work notes and internal files are never shown to them."
)


def etag_matches(header: str, incident: Incident) -> bool:
    """RFC 9110 If-Match / If-None-Match: ``*`` or any of a comma-separated list of tags."""
    tags = [tag.strip() for tag in header.split(",")]
    current = incident.etag
    return any(tag == "*" or tag.removeprefix("W/") == current for tag in tags)


@extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description=(
            "Cursor-paginated (newest first unless ?ordering=). Filters are the agent queue's; an unknown "
            "parameter is a 400 naming it. " + END_USER_NOTE
        ),
    ),
    retrieve=extend_schema(
        summary="Read an incident",
        description="Carries an ETag header; If-None-Match with the current ETag answers 304. "
        + END_USER_NOTE,
    ),
    create=extend_schema(
        summary="Report an incident",
        description=(
            "Agents may set every writable field (caller defaults to themselves, contact_channel to api). "
            "End users may set short_description, description, category, service and urgency only; they "
            "are the caller. Any other field is a 400 naming it. Routing rules pick the group when none "
            "is given."
        ),
        responses={201: IncidentSerializer, 400: OpenApiResponse(description="Invalid.")},
    ),
    partial_update=extend_schema(
        summary="Change an incident (agents)",
        description=(
            "Descriptive fields go through update_incident, assignment_group/assigned_to through "
            "assign_incident, state (with hold_reason, resolution_code, resolution_notes, comment) through "
            "the state transition; all in one transaction: when any part is refused nothing is written. A "
            "forbidden state is a 400 that lists allowed_transitions. End users get 403 on their own "
            "incidents (they use the actions) and 404 on others'."
        ),
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [StrictDjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["id", "number", "priority", "state", "created_at", "updated_at", "resolved_at"]
    ordering = ["-id"]
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        return Incident.objects.visible_to(self.request.user).for_list().prefetch_related(timers_prefetch())

    def get_forbidden_filters(self, request) -> frozenset[str]:
        return frozenset() if is_agent(request.user) else AGENT_ONLY_FILTERS

    def handle_exception(self, exc):
        if isinstance(exc, services.StaleIncidentError):
            response = Response(
                {"detail": str(exc), "version": exc.incident.version, "etag": exc.incident.etag},
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
            response["ETag"] = exc.incident.etag
            return response
        return super().handle_exception(exc)

    # --- helpers ------------------------------------------------------------------------------

    def _is_agent(self) -> bool:
        return is_agent(self.request.user)

    def _require_agent(self) -> None:
        if not self._is_agent():
            raise exceptions.PermissionDenied(
                gettext(
                    "Only agents can do this. Callers use comments, attachments, accept, reject and rate."
                )
            )

    def _fresh(self, pk: int) -> Incident:
        return self.get_queryset().get(pk=pk)

    def _incident_response(self, incident: Incident, *, status_code: int = 200, **headers) -> Response:
        incident = self._fresh(incident.pk)
        response = Response(self.get_serializer(incident).data, status=status_code)
        response["ETag"] = incident.etag
        for name, value in headers.items():
            response[name.replace("_", "-")] = value
        return response

    def _write(self, operation):
        """Run ``operation(locked_incident)`` in one transaction, after the If-Match check."""
        incident = self.get_object()  # scope first: a 404 for anything the user may not see
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            header = self.request.headers.get("If-Match")
            if header is not None and not etag_matches(header, locked):
                raise services.StaleIncidentError(locked, self._version_in(header))
            result = operation(locked)
        return locked, result

    @staticmethod
    def _version_in(header: str) -> int:
        tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
        _number, _sep, version = tag.rpartition("-v")
        return int(version) if version.isdigit() else 0

    def _with_allowed_transitions(self, exc: Exception, state: str) -> Exception:
        """A refused state change also tells the client where it could go."""
        detail = getattr(exc, "message_dict", None)
        if detail and "state" in detail:
            return exceptions.ValidationError({**detail, "allowed_transitions": allowed_transitions(state)})
        return exc

    # --- read ---------------------------------------------------------------------------------

    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        header = request.headers.get("If-None-Match")
        if header is not None and etag_matches(header, incident):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
            response["ETag"] = incident.etag
            return response
        response = Response(self.get_serializer(incident).data)
        response["ETag"] = incident.etag
        return response

    # --- create -------------------------------------------------------------------------------

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            incident = serializer.save()
        # create_incident built the instance from the validated objects: nothing to re-read, and
        # the same serializer renders it.
        response = Response(serializer.data, status=status.HTTP_201_CREATED)
        response["ETag"] = incident.etag
        return set_location(response, response.data["url"])

    # --- PATCH --------------------------------------------------------------------------------

    def partial_update(self, request, *args, **kwargs):
        self.get_object()  # 404 before 403: never reveal another user's incident
        self._require_agent()

        def patch(locked: Incident):
            serializer = self.get_serializer(locked, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            state = locked.state
            try:
                return serializer.save()
            except Exception as exc:
                raise self._with_allowed_transitions(exc, state) from exc

        locked, _result = self._write(patch)
        return self._incident_response(locked)

    # --- actions ------------------------------------------------------------------------------

    def _action(self, serializer_class, operation, *, agents_only: bool):
        self.get_object()
        if agents_only:
            self._require_agent()
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)

        def run(locked: Incident):
            state = locked.state
            try:
                return operation(locked, serializer.validated_data)
            except Exception as exc:
                raise self._with_allowed_transitions(exc, state) from exc

        locked, _result = self._write(run)
        return self._incident_response(locked)

    @extend_schema(
        summary="Resolve (agents)",
        request=ResolveSerializer,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        return self._action(
            ResolveSerializer,
            lambda incident, data: services.resolve_incident(incident, by=request.user, **data),
            agents_only=True,
        )

    @extend_schema(
        summary="Reopen a resolved incident (agents)",
        request=IncidentReasonSerializer,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, number=None):
        return self._action(
            IncidentReasonSerializer,
            lambda incident, data: services.reopen_incident(incident, by=request.user, reason=data["reason"]),
            agents_only=True,
        )

    @extend_schema(
        summary="Accept the resolution (closes the incident)",
        description="The caller (or an agent on the caller's behalf) confirms the resolution.",
        request=None,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, number=None):
        return self._action(
            serializers.Serializer,
            lambda incident, data: services.accept_resolution(incident, by=request.user),
            agents_only=False,
        )

    @extend_schema(
        summary="Reject the resolution (reopens the incident)",
        request=IncidentReasonSerializer,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        return self._action(
            IncidentReasonSerializer,
            lambda incident, data: services.reject_resolution(
                incident, by=request.user, reason=data["reason"]
            ),
            agents_only=False,
        )

    @extend_schema(
        summary="Assign to a group and optionally an agent (agents)",
        request=AssignSerializer,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        return self._action(
            AssignSerializer,
            lambda incident, data: services.assign_incident(
                incident,
                by=request.user,
                group=data["assignment_group"],
                assignee=data.get("assigned_to"),
                note=data.get("note", ""),
            ),
            agents_only=True,
        )

    @extend_schema(
        summary="Escalate hierarchically (agents)",
        request=IncidentReasonSerializer,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, number=None):
        return self._action(
            IncidentReasonSerializer,
            lambda incident, data: services.escalate_incident(
                incident, by=request.user, reason=data["reason"]
            ),
            agents_only=True,
        )

    @extend_schema(
        summary="Rate the resolution, 1 to 5 (the caller)",
        request=RateSerializer,
        parameters=[IF_MATCH],
        responses=WRITE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, number=None):
        incident = self.get_object()
        if incident.caller_id != request.user.pk:
            raise exceptions.PermissionDenied(gettext("Only the caller can rate the resolution."))
        return self._action(
            RateSerializer,
            lambda incident, data: services.rate_resolution(
                incident, by=request.user, score=data["score"], comment=data.get("comment", "")
            ),
            agents_only=False,
        )

    # --- comments, timeline, attachments ------------------------------------------------------

    def _timeline(self, incident: Incident):
        entries = incident.timeline.select_related("author")
        return entries if self._is_agent() else entries.filter(is_public=True)

    @extend_schema(
        methods=["GET"],
        summary="Comments and work notes",
        description="Oldest first. End users get the public comments only.",
        responses=CommentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a comment, or a work note (internal: true, agents only)",
        description=(
            "A caller's comment on an incident on hold awaiting the caller puts it back in progress. "
            "Changes the incident's version (re-read it for a fresh ETag)."
        ),
        request=CommentSerializer,
        parameters=[IF_MATCH],
        responses={201: CommentSerializer, 400: OpenApiResponse(description="Invalid."), 412: STALE},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    @idempotent
    def comments(self, request, number=None):
        if request.method == "GET":
            entries = self._timeline(self.get_object()).filter(kind__in=["comment", "work_note"])
            return Response(CommentSerializer(entries, many=True, context=self.get_serializer_context()).data)
        serializer = CommentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        _locked, entry = self._write(
            lambda incident: services.add_comment(
                incident,
                by=request.user,
                body=serializer.validated_data["body"],
                public=not serializer.validated_data["internal"],
            )
        )
        return Response(CommentSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="History",
        description="Every timeline entry, oldest first. End users get the public entries only.",
        responses=TimelineEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, number=None):
        entries = self._timeline(self.get_object())
        return Response(
            TimelineEntrySerializer(entries, many=True, context=self.get_serializer_context()).data
        )

    def _attachments(self, incident: Incident):
        files = incident.attachments.select_related("uploaded_by")
        return files if self._is_agent() else files.filter(is_public=True)

    @extend_schema(
        methods=["GET"],
        summary="Attachments",
        description="End users get the files visible to the caller only.",
        responses=AttachmentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload an attachment (multipart)",
        description="Size- and type-checked (ATTACHMENT_MAX_BYTES, ATTACHMENT_ALLOWED_TYPES).",
        request={"multipart/form-data": AttachmentUploadSerializer},
        parameters=[IF_MATCH],
        responses={201: AttachmentSerializer, 400: OpenApiResponse(description="Invalid."), 412: STALE},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        filter_backends=[],
        parser_classes=[MultiPartParser, FormParser],
    )
    @idempotent
    def attachments(self, request, number=None):
        incident = self.get_object()
        context = {**self.get_serializer_context(), "incident": incident}
        if request.method == "GET":
            return Response(
                AttachmentSerializer(self._attachments(incident), many=True, context=context).data
            )
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        internal = upload.validated_data["internal"]
        if internal and not self._is_agent():
            raise exceptions.ValidationError(
                {"internal": [gettext("Only agents can upload internal files.")]}
            )
        _locked, attachment = self._write(
            lambda locked: services.add_attachment(
                locked, by=request.user, upload=upload.validated_data["file"], public=not internal
            )
        )
        return Response(
            AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download an attachment",
        description="Always served as a download (Content-Disposition: attachment), never inline.",
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)/download",
        url_name="attachment-download",
        pagination_class=None,
        filter_backends=[],
    )
    def download(self, request, number=None, attachment_id=None):
        attachment = get_object_or_404(self._attachments(self.get_object()), pk=attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
