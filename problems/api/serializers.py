"""Serializers of the problems API: brief nested references, problems, tasks, candidates, actions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.api.serializers import BriefUserSerializer
from core.models import Category, SupportGroup, User
from core.roles import AGENT_ROLES
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from problems import known_errors
from problems.choices import Audience, ResolutionCode, State, TaskCloseCode, TaskState, TaskType
from problems.models import Problem, ProblemCandidate, ProblemTask, ProblemTimelineEntry
from slm.models import Service


def _agents():
    return User.objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct()


class ProblemGroupRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = SupportGroup
        fields = ["id", "display"]


class ProblemServiceRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "display"]


class ProblemCategoryRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="path", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "display"]


class ProblemIncidentRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="short_description", read_only=True)
    state = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["number", "display", "state", "url"]

    def get_url(self, incident) -> str:
        request = self.context.get("request")
        path = f"/api/v1/incidents/{incident.number}/"
        return request.build_absolute_uri(path) if request else path


class ProblemRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="short_description", read_only=True)
    state = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = ["number", "display", "state", "url"]

    def get_url(self, problem) -> str:
        return reverse("api-problem-detail", args=[problem.number], request=self.context.get("request"))


class ProblemArticleRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    display = serializers.CharField()
    url = serializers.CharField()


class ProblemSerializer(serializers.ModelSerializer):
    """A problem; writable fields go through the service functions (see the view)."""

    url = serializers.SerializerMethodField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False, allow_null=True)
    service_ref = ProblemServiceRefSerializer(source="service", read_only=True)
    category_ref = ProblemCategoryRefSerializer(source="category", read_only=True)
    assignment_group_ref = ProblemGroupRefSerializer(source="assignment_group", read_only=True)
    assigned_to_ref = BriefUserSerializer(source="assigned_to", read_only=True)
    opened_by = BriefUserSerializer(read_only=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    incident_count = serializers.IntegerField(read_only=True)
    known_error_article = serializers.SerializerMethodField()
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=20),
        write_only=True,
        required=False,
        help_text="On create: numbers of incidents to link at once.",
    )

    class Meta:
        model = Problem
        fields = [
            "number",
            "url",
            "short_description",
            "description",
            "state",
            "state_display",
            "impact",
            "urgency",
            "priority",
            "priority_display",
            "service",
            "service_ref",
            "category",
            "category_ref",
            "configuration_item",
            "assignment_group",
            "assignment_group_ref",
            "assigned_to",
            "assigned_to_ref",
            "opened_by",
            "symptoms",
            "root_cause",
            "workaround",
            "fix_description",
            "resolution_code",
            "resolution_notes",
            "known_error",
            "known_error_audience",
            "known_error_at",
            "known_error_article",
            "incident_count",
            "incidents",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "state",
            "priority",
            "resolution_code",
            "resolution_notes",
            "known_error",
            "known_error_audience",
            "known_error_at",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "version",
        ]

    def get_url(self, problem) -> str:
        return reverse("api-problem-detail", args=[problem.number], request=self.context.get("request"))

    @extend_schema_field(ProblemArticleRefSerializer(allow_null=True))
    def get_known_error_article(self, problem) -> dict | None:
        article = known_errors.article_for(problem)
        if article is None:
            return None
        url = reverse("kb-article-detail", args=[article.number], request=self.context.get("request"))
        return {"number": article.number, "display": article.title, "url": url}

    def validate_incidents(self, numbers: list[str]) -> list[Incident]:
        wanted = list(dict.fromkeys(n.strip().upper() for n in numbers if n.strip()))
        found = {i.number: i for i in Incident.objects.filter(number__in=wanted)}
        unknown = [n for n in wanted if n not in found]
        if unknown:
            raise serializers.ValidationError(f"No incident with the number {', '.join(unknown)}.")
        return [found[n] for n in wanted]


class ProblemTransitionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices, required=False, allow_blank=True
    )
    fix_description = serializers.CharField(required=False, allow_blank=True, default="")


class ProblemResolveSerializer(serializers.Serializer):
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices)
    fix_description = serializers.CharField()
    resolve_incidents = serializers.BooleanField(
        default=False, help_text="Also resolve every linked open incident (resolved by problem)."
    )


class ProblemResolveResultSerializer(serializers.Serializer):
    problem = ProblemSerializer()
    resolved_incidents = serializers.ListField(child=serializers.CharField())
    resumed_incidents = serializers.ListField(child=serializers.CharField())


class ProblemLinkSerializer(serializers.Serializer):
    incidents = serializers.ListField(child=serializers.CharField(max_length=20), allow_empty=False)
    hold = serializers.BooleanField(
        default=False, help_text="Put new and in-progress incidents on hold, awaiting the problem."
    )

    def validate_incidents(self, numbers):
        return ProblemSerializer.validate_incidents(self, numbers)


class ProblemLinkResultSerializer(serializers.Serializer):
    linked = serializers.ListField(child=serializers.CharField())
    already = serializers.ListField(child=serializers.CharField())
    refused = serializers.DictField(child=serializers.CharField(), help_text="Incident number: why.")
    held = serializers.ListField(child=serializers.CharField())


class ProblemUnlinkSerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=20)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProblemKnownErrorSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.AGENTS)
    symptoms = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)


class ProblemWorkaroundSentSerializer(serializers.Serializer):
    sent_to = serializers.ListField(child=serializers.CharField())


class ProblemTimelineEntrySerializer(serializers.ModelSerializer):
    author = BriefUserSerializer(read_only=True)

    class Meta:
        model = ProblemTimelineEntry
        fields = ["id", "kind", "author", "body", "data", "created_at"]


class ProblemTaskSerializer(serializers.ModelSerializer):
    problem = serializers.SlugRelatedField(slug_field="number", queryset=Problem.objects.all())
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False, allow_null=True)
    task_type = serializers.ChoiceField(choices=TaskType.choices, default=TaskType.GENERAL)

    class Meta:
        model = ProblemTask
        fields = [
            "number",
            "problem",
            "task_type",
            "short_description",
            "description",
            "assignment_group",
            "assigned_to",
            "state",
            "close_code",
            "close_notes",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = [
            "number",
            "state",
            "close_code",
            "close_notes",
            "created_at",
            "updated_at",
            "closed_at",
        ]


class ProblemTaskTransitionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TaskState.choices)
    close_code = serializers.ChoiceField(
        choices=TaskCloseCode.choices, required=False, allow_blank=True, default=""
    )
    close_notes = serializers.CharField(required=False, allow_blank=True, default="")


class ProblemCandidateSerializer(serializers.ModelSerializer):
    service = ProblemServiceRefSerializer(read_only=True)
    category = ProblemCategoryRefSerializer(read_only=True)
    problem = ProblemRefSerializer(read_only=True)
    incidents = serializers.SerializerMethodField()

    class Meta:
        model = ProblemCandidate
        fields = [
            "id",
            "title",
            "status",
            "score",
            "cohesion",
            "member_count",
            "group_kind",
            "service",
            "category",
            "configuration_item",
            "keywords",
            "first_incident_at",
            "last_incident_at",
            "detected_at",
            "last_detected_at",
            "dismissed_at",
            "dismiss_reason",
            "dismissed_member_count",
            "problem",
            "converted_at",
            "incidents",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_incidents(self, candidate) -> list[str]:
        # Prefetched by the view: numbers only, in one query for the whole page.
        return sorted(incident.number for incident in candidate.members.all())


class ProblemCandidateConvertSerializer(serializers.Serializer):
    short_description = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.MEDIUM)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=_agents(), required=False, allow_null=True)
    hold = serializers.BooleanField(default=False)


class ProblemCandidateDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProblemDetectionQueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
