"""Serializers of the change API. Reading uses the full serializer; writing goes through the
services (the serializers validate shapes, the services the rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from changes.choices import (
    ApprovalPolicy,
    BackoutPlan,
    ChangeType,
    Complexity,
    Decision,
    Experience,
    Impact,
    Outcome,
    Risk,
    Tested,
    UserImpact,
)
from changes.models import Approval, ChangeRequest, ChangeTemplate, FreezeWindow
from changes.templatetags.change_tags import describe_conflict
from core.api.serializers import BriefUserSerializer
from core.models import SupportGroup, User
from slm.models import Service


class BriefServiceSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "display"]


class BriefGroupSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = SupportGroup
        fields = ["id", "display"]


class BriefTemplateSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="change-template-detail", lookup_field="slug")

    class Meta:
        model = ChangeTemplate
        fields = ["id", "slug", "display", "url"]


class BriefChangeSerializer(serializers.ModelSerializer):
    display = serializers.CharField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="change-detail", lookup_field="number")

    class Meta:
        model = ChangeRequest
        fields = ["number", "display", "url"]


class ScheduleOverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(source="schedule_override_reason")
    by = BriefUserSerializer(source="schedule_override_by")
    at = serializers.DateTimeField(source="schedule_override_at")
    window_start = serializers.DateTimeField(source="schedule_override_start")
    window_end = serializers.DateTimeField(source="schedule_override_end")
    applies = serializers.BooleanField(source="override_covers_window")


class ChangeSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="change-detail", lookup_field="number")
    web_url = serializers.SerializerMethodField()
    template = BriefTemplateSerializer(read_only=True)
    services = BriefServiceSerializer(many=True, read_only=True)
    configuration_items = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    requester = BriefUserSerializer(read_only=True)
    opened_by = BriefUserSerializer(read_only=True)
    implementer = BriefUserSerializer(read_only=True)
    assignment_group = BriefGroupSerializer(read_only=True)
    schedule_override = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = [
            "number",
            "url",
            "web_url",
            "change_type",
            "state",
            "approval_status",
            "approval_round",
            "retrospective_approval",
            "template",
            "short_description",
            "description",
            "justification",
            "services",
            "configuration_items",
            "requester",
            "opened_by",
            "assignment_group",
            "implementer",
            "impact",
            "risk",
            "risk_calculated",
            "risk_answers",
            "risk_override_reason",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "outcome",
            "outcome_notes",
            "review_notes",
            "schedule_override",
            "cancel_reason",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
        ]
        read_only_fields = fields

    def get_web_url(self, change) -> str:
        request = self.context.get("request")
        path = change.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(ScheduleOverrideSerializer(allow_null=True))
    def get_schedule_override(self, change):
        if not change.schedule_override_at:
            return None
        return ScheduleOverrideSerializer(change).data


class ChangeWriteSerializer(serializers.Serializer):
    """Create (normal/emergency, or standard from ``template``) and update a change."""

    template = serializers.CharField(
        required=False,
        help_text=_("Slug or id of an approved standard change template: opens a standard change."),
    )
    change_type = serializers.ChoiceField(choices=ChangeType.choices, required=False)
    short_description = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    justification = serializers.CharField(required=False, allow_blank=True)
    services = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Service.objects.filter(is_active=True), required=False
    )
    configuration_items = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text=_("Names; matched ignoring case."),
    )
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    implementation_plan = serializers.CharField(required=False, allow_blank=True)
    backout_plan = serializers.CharField(required=False, allow_blank=True)
    test_plan = serializers.CharField(required=False, allow_blank=True)

    def validate_template(self, value: str) -> ChangeTemplate:
        queryset = ChangeTemplate.objects.all()
        template = (
            queryset.filter(pk=int(value)).first() if value.isdigit() else queryset.filter(slug=value).first()
        )
        if template is None:
            raise serializers.ValidationError(_("No template with this slug or id."))
        if not template.is_usable:
            raise serializers.ValidationError(_("The template is not approved."))
        return template

    def validate(self, attrs):
        if self.instance is None:
            template = attrs.get("template")
            if template is not None:
                if attrs.get("change_type", ChangeType.STANDARD) != ChangeType.STANDARD:
                    raise serializers.ValidationError(
                        {"change_type": _("A change opened from a template is a standard change.")}
                    )
            else:
                if not attrs.get("change_type"):
                    raise serializers.ValidationError({"change_type": _("This field is required.")})
                if not attrs.get("short_description"):
                    raise serializers.ValidationError({"short_description": _("This field is required.")})
        elif "template" in attrs:
            raise serializers.ValidationError({"template": _("The template of a change cannot be changed.")})
        return attrs


class RiskAssessmentSerializer(serializers.Serializer):
    user_impact = serializers.ChoiceField(choices=UserImpact.choices)
    complexity = serializers.ChoiceField(choices=Complexity.choices)
    tested = serializers.ChoiceField(choices=Tested.choices)
    backout_plan = serializers.ChoiceField(choices=BackoutPlan.choices)
    experience = serializers.ChoiceField(choices=Experience.choices)
    override_risk = serializers.ChoiceField(choices=Risk.choices, required=False, allow_blank=True)
    override_reason = serializers.CharField(required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ScheduleSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Change managers: schedule despite a freeze window, for this reason."),
    )


class OverrideSerializer(serializers.Serializer):
    override_reason = serializers.CharField()


class CompleteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_notes = serializers.CharField(required=False, allow_blank=True)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        required=False,
        help_text=_("Required when the change is still in Implement."),
    )
    outcome_notes = serializers.CharField(required=False, allow_blank=True)
    review_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("The post-implementation review (needed to close from Review)."),
    )


class WorkNoteSerializer(serializers.Serializer):
    body = serializers.CharField()


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True)


class ApprovalSerializer(serializers.ModelSerializer):
    approver = BriefUserSerializer(read_only=True)
    group = BriefGroupSerializer(read_only=True)
    requirement = serializers.CharField(source="requirement.name", read_only=True)
    policy = serializers.ChoiceField(
        source="requirement.policy", choices=ApprovalPolicy.choices, read_only=True
    )
    quorum = serializers.IntegerField(source="requirement.quorum", read_only=True, allow_null=True)
    round = serializers.IntegerField(source="requirement.round", read_only=True)

    class Meta:
        model = Approval
        fields = [
            "id",
            "round",
            "requirement",
            "policy",
            "quorum",
            "approver",
            "group",
            "state",
            "comment",
            "requested_at",
            "decided_at",
            "retrospective",
        ]
        read_only_fields = fields


class ChangeApprovalsSerializer(serializers.ModelSerializer):
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "number",
            "state",
            "approval_status",
            "approval_round",
            "retrospective_approval",
            "approvals",
        ]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    kind = serializers.CharField()
    blocking = serializers.BooleanField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    freeze_id = serializers.IntegerField(allow_null=True)
    freeze_name = serializers.CharField()
    service_id = serializers.IntegerField(allow_null=True)
    service_name = serializers.CharField()
    change_number = serializers.CharField()
    ci = serializers.CharField()
    message = serializers.SerializerMethodField()

    def get_message(self, conflict) -> str:
        return describe_conflict(conflict)


class CalendarChangeSerializer(serializers.Serializer):
    number = serializers.CharField(source="change.number")
    url = serializers.SerializerMethodField()
    change_type = serializers.CharField(source="change.change_type")
    state = serializers.CharField(source="change.state")
    short_description = serializers.CharField(source="change.short_description")
    planned_start = serializers.DateTimeField(source="change.planned_start")
    planned_end = serializers.DateTimeField(source="change.planned_end")
    services = BriefServiceSerializer(source="change.services", many=True)
    configuration_items = serializers.SerializerMethodField()
    conflicts = ConflictSerializer(many=True)

    def get_configuration_items(self, entry) -> list[str]:
        return [ci.name for ci in entry.change.configuration_items.all()]

    def get_url(self, entry) -> str:
        return reverse("change-detail", args=[entry.change.number], request=self.context.get("request"))


class MaintenanceOccurrenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="window.pk")
    name = serializers.CharField(source="window.name")
    service = BriefServiceSerializer(source="window.service")
    time_zone = serializers.CharField(source="window.time_zone")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class FreezeWindowSerializer(serializers.ModelSerializer):
    services = BriefServiceSerializer(many=True, read_only=True)

    class Meta:
        model = FreezeWindow
        fields = ["id", "name", "description", "start", "end", "services"]


class CalendarSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text=_("Start of the range (inclusive)."))
    end = serializers.DateTimeField(help_text=_("End of the range (exclusive)."))
    changes = CalendarChangeSerializer(many=True)
    maintenance_windows = MaintenanceOccurrenceSerializer(many=True, source="maintenance")
    freeze_windows = FreezeWindowSerializer(many=True, source="freezes")


class ChangeTemplateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="change-template-detail", lookup_field="slug")
    services = BriefServiceSerializer(many=True, read_only=True)
    configuration_items = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    assignment_group = BriefGroupSerializer(read_only=True)
    default_duration_minutes = serializers.SerializerMethodField()

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "slug",
            "url",
            "name",
            "status",
            "short_description",
            "description",
            "justification",
            "services",
            "configuration_items",
            "assignment_group",
            "risk",
            "impact",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "default_duration_minutes",
            "approved_at",
            "needs_review",
            "review_reason",
        ]
        read_only_fields = fields

    def get_default_duration_minutes(self, template) -> int:
        return int(template.default_duration.total_seconds() // 60)
