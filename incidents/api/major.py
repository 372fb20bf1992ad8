"""REST API of the major-incident procedure, under /api/v1/major-incidents/.

The list holds the active major incidents (the board); ``{number}`` is the incident number, and
the actions propose/accept/reject/declare work on any incident. Every action calls
incidents.major; domain errors come back as 400 naming the field, role failures as 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import IsAgent
from core.choices import Language
from core.models import SupportGroup, User
from incidents import major as ops
from incidents.choices import ResolutionCode
from incidents.major_choices import UpdateVisibility
from incidents.models import Incident, MajorIncident, MajorStakeholder, MajorStatusUpdate


class MajorBriefRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display = serializers.CharField()


def _brief(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "display": str(obj)}


class MajorEscalationSerializer(serializers.Serializer):
    policy = serializers.CharField(allow_blank=True)
    level = serializers.IntegerField(help_text="Highest level notified so far (0: none).")
    levels = serializers.IntegerField(help_text="Number of levels planned.")
    acknowledged = serializers.BooleanField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = MajorBriefRefSerializer(allow_null=True)


class MajorIncidentSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="incident.number", read_only=True)
    url = serializers.SerializerMethodField()
    short_description = serializers.CharField(source="incident.short_description", read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(source="incident.state", read_only=True)
    priority = serializers.IntegerField(source="incident.priority", read_only=True)
    is_major = serializers.BooleanField(source="incident.is_major", read_only=True)
    major_state = serializers.CharField(source="incident.major_state", read_only=True)
    service = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    proposed_by = serializers.SerializerMethodField()
    cadence_minutes = serializers.SerializerMethodField()
    seconds_since_start = serializers.SerializerMethodField()
    update_overdue = serializers.SerializerMethodField()
    escalation = serializers.SerializerMethodField()
    child_count = serializers.SerializerMethodField()
    affected_count = serializers.SerializerMethodField()

    class Meta:
        model = MajorIncident
        fields = [
            "number",
            "url",
            "short_description",
            "title",
            "state",
            "priority",
            "is_major",
            "major_state",
            "service",
            "owner",
            "proposed_by",
            "proposed_at",
            "proposal_reason",
            "decided_at",
            "rejection_reason",
            "accepted_at",
            "resolved_at",
            "show_banner",
            "cadence_minutes",
            "seconds_since_start",
            "last_update_at",
            "next_update_due_at",
            "update_overdue",
            "escalation",
            "child_count",
            "affected_count",
        ]
        read_only_fields = fields

    def get_url(self, major) -> str:
        request = self.context.get("request")
        path = f"/api/v1/major-incidents/{major.incident.number}/"
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(MajorBriefRefSerializer(allow_null=True))
    def get_service(self, major):
        return _brief(major.incident.service)

    @extend_schema_field(MajorBriefRefSerializer(allow_null=True))
    def get_owner(self, major):
        return _brief(major.owner)

    @extend_schema_field(MajorBriefRefSerializer(allow_null=True))
    def get_proposed_by(self, major):
        return _brief(major.proposed_by)

    def get_cadence_minutes(self, major) -> float:
        return round(major.cadence.total_seconds() / 60, 2)

    def get_seconds_since_start(self, major) -> int | None:
        if not major.accepted_at:
            return None
        return int((timezone.now() - major.accepted_at).total_seconds())

    def get_update_overdue(self, major) -> bool:
        return major.update_overdue()

    def _counts(self, major) -> tuple[int, int]:
        counts = self.context.get("counts")
        if counts is None or major.pk not in counts:
            counts = ops.affected_counts([major])
        return counts[major.pk]

    def get_child_count(self, major) -> int:
        return self._counts(major)[0]

    def get_affected_count(self, major) -> int:
        return self._counts(major)[1]

    @extend_schema_field(MajorEscalationSerializer)
    def get_escalation(self, major):
        levels = self.context.get("levels")
        total = levels[major.pk] if levels is not None and major.pk in levels else major.steps.count()
        return {
            "policy": str(major.escalation_policy or ""),
            "level": major.escalation_level,
            "levels": total,
            "acknowledged": bool(major.acknowledged_at),
            "acknowledged_at": major.acknowledged_at,
            "acknowledged_by": _brief(major.acknowledged_by),
        }


class MajorStatusUpdateSerializer(serializers.ModelSerializer):
    posted_by = serializers.SerializerMethodField()

    class Meta:
        model = MajorStatusUpdate
        fields = ["id", "body", "visibility", "posted_by", "posted_at", "recipient_count"]
        read_only_fields = ["id", "posted_by", "posted_at", "recipient_count"]

    @extend_schema_field(MajorBriefRefSerializer)
    def get_posted_by(self, update):
        return _brief(update.posted_by)


class MajorStatusUpdateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)
    visibility = serializers.ChoiceField(choices=UpdateVisibility.choices, default=UpdateVisibility.PUBLIC)


class MajorStakeholderSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = MajorStakeholder
        fields = ["id", "display", "user", "group", "address", "language", "source", "created_at"]
        read_only_fields = ["id", "display", "source", "created_at"]


class MajorStakeholderInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False
    )
    address = serializers.EmailField(required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.EN)

    def validate(self, data):
        if sum(bool(data.get(name)) for name in ("user", "group", "address")) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of user, group or address."]}
            )
        return data


class MajorReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class MajorStartSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    cadence_minutes = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    public_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    show_banner = serializers.BooleanField(default=True)

    def kwargs(self) -> dict:
        data = self.validated_data
        minutes = data.get("cadence_minutes")
        return {
            "owner": data.get("owner"),
            "cadence": timedelta(minutes=minutes) if minutes else None,
            "public_title": data.get("public_title", ""),
            "show_banner": data.get("show_banner", True),
        }


class MajorDeclareSerializer(MajorStartSerializer):
    reason = serializers.CharField(max_length=4000)


class MajorResolveSerializer(serializers.Serializer):
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices)
    resolution_notes = serializers.CharField(max_length=10000)
    resolve_children = serializers.BooleanField(default=True)


class MajorResolvedSerializer(serializers.Serializer):
    resolved_children = serializers.ListField(child=serializers.CharField())


@extend_schema(tags=["major incidents"])
class MajorIncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active major incidents (list), one major-incident record (retrieve) and the actions."""

    serializer_class = MajorIncidentSerializer
    permission_classes = [IsAgent]
    lookup_field = "incident__number"
    lookup_url_kwarg = "number"
    lookup_value_regex = "[A-Za-z0-9]+"

    def get_queryset(self):
        queryset = (
            MajorIncident.objects.visible_to(self.request.user).for_board().select_related("proposed_by")
        )
        if self.action == "list":
            return queryset.active()
        return queryset

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            **self.get_serializer_context(),
            "counts": ops.affected_counts(page),
            "levels": ops.level_counts(page),
        }
        return self.get_paginated_response(MajorIncidentSerializer(page, many=True, context=context).data)

    def _incident(self, number: str) -> Incident:
        return get_object_or_404(Incident.objects.visible_to(self.request.user), number=number)

    def _major_response(self, incident: Incident, code=status.HTTP_200_OK) -> Response:
        major = self.get_queryset().get(incident=incident)
        return Response(
            MajorIncidentSerializer(major, context=self.get_serializer_context()).data, status=code
        )

    def _require_manager(self) -> None:
        if not ops.is_incident_manager(self.request.user):
            raise PermissionDenied("Only an incident manager can accept, reject or declare a major incident.")

    @extend_schema(request=MajorReasonSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def propose(self, request, number=None):
        incident = self._incident(number)
        data = MajorReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ops.propose_major(incident, by=request.user, reason=data.validated_data["reason"])
        return self._major_response(incident)

    @extend_schema(request=MajorStartSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, number=None):
        self._require_manager()
        incident = self._incident(number)
        data = MajorStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ops.accept_major(incident, by=request.user, **data.kwargs())
        return self._major_response(incident)

    @extend_schema(request=MajorReasonSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        self._require_manager()
        incident = self._incident(number)
        data = MajorReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ops.reject_major(incident, by=request.user, reason=data.validated_data["reason"])
        return self._major_response(incident)

    @extend_schema(request=MajorDeclareSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def declare(self, request, number=None):
        self._require_manager()
        incident = self._incident(number)
        data = MajorDeclareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ops.declare_major(incident, by=request.user, reason=data.validated_data["reason"], **data.kwargs())
        return self._major_response(incident)

    @extend_schema(methods=["GET"], responses=MajorStatusUpdateSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=MajorStatusUpdateInputSerializer,
        responses={201: MajorStatusUpdateSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    @idempotent
    def updates(self, request, number=None):
        major = self.get_object()
        if request.method == "GET":
            updates = major.updates.select_related("posted_by")
            return Response(MajorStatusUpdateSerializer(updates, many=True).data)
        data = MajorStatusUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = ops.post_status_update(
            major.incident,
            by=request.user,
            body=data.validated_data["body"],
            public=data.validated_data["visibility"] == UpdateVisibility.PUBLIC,
        )
        return Response(MajorStatusUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, number=None):
        major = self.get_object()
        if major.acknowledged_at:
            return self._major_response(major.incident)
        if not ops.can_acknowledge(request.user, major):
            raise PermissionDenied("You were not paged for this major incident.")
        ops.acknowledge_major(major.incident, by=request.user, via="api")
        return self._major_response(major.incident)

    @extend_schema(methods=["GET"], responses=MajorStakeholderSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=MajorStakeholderInputSerializer, responses={201: MajorStakeholderSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    @idempotent
    def stakeholders(self, request, number=None):
        major = self.get_object()
        if request.method == "GET":
            return Response(
                MajorStakeholderSerializer(major.stakeholders.select_related("user", "group"), many=True).data
            )
        data = MajorStakeholderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        holder = ops.add_stakeholder(
            major.incident,
            by=request.user,
            user=data.validated_data.get("user"),
            group=data.validated_data.get("group"),
            address=data.validated_data.get("address", ""),
            language=data.validated_data.get("language", "en"),
        )
        return Response(MajorStakeholderSerializer(holder).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MajorResolveSerializer, responses=MajorResolvedSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        major = self.get_object()
        data = MajorResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = ops.resolve_major_with_children(
            major.incident,
            by=request.user,
            resolution_code=data.validated_data["resolution_code"],
            resolution_notes=data.validated_data["resolution_notes"],
            resolve_child_incidents=data.validated_data["resolve_children"],
        )
        return Response({"resolved_children": done})
