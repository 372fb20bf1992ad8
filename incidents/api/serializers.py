"""Serializers of the incident API.

Reads render related objects as brief references (``{"id", "display", "url"}``); writes accept
their ids (a category also by its path, "Hardware > Printer"; a parent incident by its number).
Serializers only validate and translate: every change is made by ``incidents.services``.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Model
from django.urls import NoReverseMatch
from django.urls import reverse as django_reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.api.audience import AudienceSerializerMixin, requester_is_agent
from core.models import Category, Desk, SupportGroup, User
from incidents import services
from incidents.choices import ContactChannel, HoldReason, Impact, ResolutionCode, State, Urgency
from incidents.models import Attachment, Incident, IncidentTimelineEntry
from incidents.rules import allowed_transitions
from incidents.templatetags.incidents_ui import HIDDEN_KEYS as PORTAL_HIDDEN_TIMELINE_KEYS
from slm import services as slm_services
from slm.api.serializers import IncidentTimerSerializer
from slm.choices import AgreementKind, Metric, TimerState
from slm.models import Service
from slm.services import current_timers

# Who may write what. Anything else in a request body is refused with a 400 naming the field,
# rather than silently ignored.
AGENT_CREATE_FIELDS = frozenset(
    {
        "short_description",
        "description",
        "caller",
        "desk",
        "contact_channel",
        "service",
        "category",
        "configuration_item",
        "impact",
        "urgency",
        "assignment_group",
        "assigned_to",
        "parent",
    }
)
END_USER_CREATE_FIELDS = frozenset({"short_description", "description", "category", "service", "urgency"})
# Timeline entries whose data the portal shows its users (as "label: old → new" lines).
PORTAL_TIMELINE_DATA_KINDS = frozenset({"state_change", "rating"})
TRANSITION_FIELDS = ("state", "hold_reason", "resolution_code", "resolution_notes", "comment")
ASSIGNMENT_FIELDS = ("assignment_group", "assigned_to")
AGENT_PATCH_FIELDS = frozenset({*services.EDITABLE_FIELDS, *ASSIGNMENT_FIELDS, *TRANSITION_FIELDS})


_SAMPLE = "9876543210123"  # fits every URL converter used here (numbers, ids, slugs)


def cached_reverse(context: dict, name: str, kwarg: str, value, *, absolute_path: bool = False) -> str | None:
    """``reverse()`` once per URL name and request, then string substitution.

    A list page renders a few URLs per row; resolving each through the URL resolver cost more
    than the rest of the row's serialisation.
    """
    cache = context.setdefault("_url_templates", {})
    key = (name, kwarg, absolute_path)
    if key not in cache:
        request = context.get("request")
        try:
            if absolute_path:
                path = django_reverse(name, kwargs={kwarg: _SAMPLE})
                cache[key] = request.build_absolute_uri(path) if request is not None else path
            else:
                cache[key] = reverse(name, kwargs={kwarg: _SAMPLE}, request=request)
        except NoReverseMatch:
            cache[key] = None
    template = cache[key]
    return template.replace(_SAMPLE, str(value), 1) if template is not None else None


class UTCDateTimeField(serializers.DateTimeField):
    """Timestamps in UTC (``…Z``) whatever the server's display time zone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(*args, **kwargs)


class UTCModelSerializer(serializers.ModelSerializer):
    """UTC timestamps; the fields are built from the model once per class, not on every request.

    ``ModelSerializer.get_fields`` introspects the model and builds every field for each serializer
    instance, a fifth of a list request's CPU time. The result depends on the class only, so it is
    built once and deep-copied (DRF copies declared fields the same way).
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


class BriefReferenceSerializer(serializers.Serializer):
    """Schema of a brief reference to a related object (read side)."""

    id = serializers.IntegerField()
    display = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text=_("API URL of the object, when it has one."))


class IncidentReferenceSerializer(serializers.Serializer):
    """Schema of a brief reference to another incident (read side)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    display = serializers.CharField()
    url = serializers.CharField()


class BriefRelatedField(serializers.RelatedField):
    """A related object: a brief reference when read, its id when written.

    Writing the read shape back (``{"id": 3, ...}``) is accepted too, so a client can send what it
    received.
    """

    default_error_messages = {
        "does_not_exist": _("No such object (id {value})."),
        "incorrect_type": _("Expected an id, got {data_type}."),
    }
    url_name: str | None = None
    url_kwarg = "pk"
    url_attr = "pk"

    def to_representation(self, value: Model) -> dict:
        return {"id": value.pk, "display": str(value), "url": self.url_for(value)}

    def url_for(self, value: Model) -> str | None:
        if not self.url_name:
            return None
        return cached_reverse(self.context, self.url_name, self.url_kwarg, getattr(value, self.url_attr))

    def get_choices(self, cutoff=None):
        """Choices of the browsable API's form, keyed by id (the written form)."""
        queryset = self.get_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {self.choice_key(item): self.display_value(item) for item in queryset}

    def choice_key(self, item) -> str:
        return str(item.pk)

    def lookup(self, queryset, data):
        """Find the object for a written value other than an id (None: not supported)."""
        return

    def to_internal_value(self, data):
        if isinstance(data, dict) and "id" in data:
            data = data["id"]
        queryset = self.get_queryset()
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data)
        if isinstance(data, int) and not isinstance(data, bool):
            try:
                return queryset.get(pk=data)
            except ObjectDoesNotExist:
                self.fail("does_not_exist", value=data)
        if isinstance(data, str):
            found = self.lookup(queryset, data.strip())
            if found is not None:
                return found
            self.fail("does_not_exist", value=data)
        self.fail("incorrect_type", data_type=type(data).__name__)
        return None  # unreachable: fail() raises


class UserRefField(BriefRelatedField):
    """A user; written by id or username (a text box in the browsable API, not a list of everyone)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"base_template": "input.html"})
        super().__init__(**kwargs)

    def lookup(self, queryset, data):
        return queryset.filter(username=data).first()


class GroupRefField(BriefRelatedField):
    url_name = "supportgroup-detail"

    def lookup(self, queryset, data):
        return queryset.filter(name=data).first()


class DeskRefField(BriefRelatedField):
    url_name = "desk-detail"
    url_kwarg = url_attr = "slug"

    def lookup(self, queryset, data):
        return queryset.filter(slug=data).first()


class CategoryRefField(BriefRelatedField):
    """A category; written by id or by its path ("Hardware > Printer")."""

    def lookup(self, queryset, data):
        path = " > ".join(part.strip() for part in data.split(">"))
        return queryset.filter(path=path).first()


class ServiceRefField(BriefRelatedField):
    def lookup(self, queryset, data):
        return queryset.filter(name=data).first()


class IncidentRefField(BriefRelatedField):
    """Another incident: ``{"id", "number", "display", "url"}`` when read, its number when written."""

    default_error_messages = {
        "does_not_exist": _("No incident {value}."),
        "incorrect_type": _("Expected an incident number, got {data_type}."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"base_template": "input.html"})
        super().__init__(**kwargs)

    def choice_key(self, item) -> str:
        return item.number

    def to_representation(self, value: Incident) -> dict:
        url = cached_reverse(self.context, "incident-detail", "number", value.number)
        return {"id": value.pk, "number": value.number, "display": str(value), "url": url}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("number", data.get("id"))
        if isinstance(data, str):
            found = self.get_queryset().filter(number=data.strip().upper()).first()
            if found is None:
                self.fail("does_not_exist", value=data)
            return found
        return super().to_internal_value(data)


class BriefRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Brief references read as an object and are written as an id (or a natural key)."""

    target_class = BriefRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        reference = (
            IncidentReferenceSerializer
            if isinstance(self.target, IncidentRefField)
            else BriefReferenceSerializer
        )
        if direction == "response":
            return auto_schema.resolve_serializer(reference, direction).ref
        if isinstance(self.target, IncidentRefField):
            return {**build_basic_type(OpenApiTypes.STR), "description": "Incident number, e.g. INC0001042."}
        return {
            "oneOf": [build_basic_type(OpenApiTypes.INT), build_basic_type(OpenApiTypes.STR)],
            "description": self._write_hint(),
        }

    def _write_hint(self) -> str:
        hints = {
            CategoryRefField: "Category id, or its path such as “Hardware > Printer”.",
            UserRefField: "User id or username.",
            GroupRefField: "Support group id or name.",
            DeskRefField: "Desk id or slug.",
            ServiceRefField: "Service id or name.",
        }
        return hints.get(type(self.target), "Id of the object.")


class ExpectedResolutionSerializer(serializers.Serializer):
    """What the portal tells the caller about the resolution target (no policy or OLA details)."""

    due_at = UTCDateTimeField(allow_null=True, help_text=_("When we aim to resolve it."))
    paused = serializers.BooleanField(help_text=_("The target waits for the caller's reply."))
    late = serializers.BooleanField(help_text=_("The target has passed; we are still working on it."))


class IncidentSerializer(AudienceSerializerMixin, UTCModelSerializer):
    """An incident. Writes go through the domain services (see the endpoint descriptions).

    End users read what the portal's incident page shows them (``Meta.end_user_fields``): no
    SLA/OLA timers or policies, no priority or impact, no assignee or other agents' accounts.
    """

    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    caller = UserRefField(queryset=User.objects.filter(is_active=True), required=False)
    opened_by = UserRefField(read_only=True)
    desk = DeskRefField(queryset=Desk.objects.filter(is_active=True), required=False)
    service = ServiceRefField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )
    category = CategoryRefField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignment_group = GroupRefField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assigned_to = UserRefField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    parent = IncidentRefField(queryset=Incident.objects.all(), required=False, allow_null=True)
    resolved_by = UserRefField(read_only=True)
    state = serializers.ChoiceField(
        choices=State.choices,
        required=False,
        help_text=_(
            "Writing it moves the incident through the transition table; see allowed_transitions "
            "and the required fields hold_reason, resolution_code, resolution_notes and comment."
        ),
    )
    hold_reason = serializers.ChoiceField(choices=HoldReason.choices, required=False, allow_blank=True)
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices, required=False, allow_blank=True
    )
    resolution_notes = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text=_(
            "With a state change only: the reason of a reopen (required), the question to the caller "
            "when putting on hold awaiting the caller (required, public), otherwise a work note."
        ),
    )
    contact_channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    is_major = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    timers = serializers.SerializerMethodField(
        help_text="SLA/OLA timers of the incident (response, resolution, the current update cycle)."
    )
    awaiting_caller = serializers.SerializerMethodField(
        help_text=_("On hold until the caller answers (the portal says “Waiting for your answer”).")
    )
    expected_resolution = serializers.SerializerMethodField(
        help_text=_("The resolution target as the portal shows it to the caller; null without one.")
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "url",
            "web_url",
            "short_description",
            "description",
            "caller",
            "opened_by",
            "desk",
            "contact_channel",
            "service",
            "category",
            "configuration_item",
            "impact",
            "urgency",
            "priority",
            "state",
            "hold_reason",
            "allowed_transitions",
            "assignment_group",
            "assigned_to",
            "reassignment_count",
            "escalation_level",
            "parent",
            "resolution_code",
            "resolution_notes",
            "resolved_by",
            "comment",
            "is_major",
            "major_state",
            "reopen_count",
            "satisfaction",
            "version",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "last_reopened_at",
            "timers",
            "awaiting_caller",
            "expected_resolution",
        ]
        # What the portal's incident page shows (and the caller wrote on the report form), plus the
        # API's handles. The rest is for agents (core.api.audience).
        end_user_fields = frozenset(
            {
                *("id", "number", "url", "web_url", "version"),
                *("short_description", "description", "category", "service", "urgency"),
                *("caller", "state", "awaiting_caller", "assignment_group"),
                *("resolution_code", "resolution_notes", "resolved_by", "resolved_at", "satisfaction"),
                *("created_at", "updated_at", "expected_resolution"),
            }
        )
        read_only_fields = [
            "id",
            "number",
            "priority",
            "reassignment_count",
            "escalation_level",
            "major_state",
            "reopen_count",
            "satisfaction",
            "version",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "last_reopened_at",
        ]

    # --- read ---------------------------------------------------------------------------------

    def _request(self):
        return self.context.get("request")

    def _is_agent(self) -> bool:
        return requester_is_agent(self.context)

    def get_url(self, obj: Incident) -> str:
        return cached_reverse(self.context, "incident-detail", "number", obj.number)

    def get_web_url(self, obj: Incident) -> str:
        """The incident's page in the agent UI, or in the portal for end users."""
        name = "incidents:agent-detail" if self._is_agent() else "incidents:portal-detail"
        return cached_reverse(self.context, name, "number", obj.number, absolute_path=True)

    def get_allowed_transitions(self, obj: Incident) -> list[str]:
        """States the requesting user can move the incident to (end users use the actions)."""
        return allowed_transitions(obj.state) if self._is_agent() else []

    @extend_schema_field(IncidentTimerSerializer(many=True))
    def get_timers(self, obj: Incident) -> list[dict]:
        # Lists prefetch the timers (slm.services.timers_prefetch) so this adds no query per row.
        return IncidentTimerSerializer(
            current_timers(obj.sla_timers.all()), many=True, context=self.context
        ).data

    def get_awaiting_caller(self, obj: Incident) -> bool:
        return obj.state == State.ON_HOLD and obj.hold_reason == HoldReason.AWAITING_CALLER

    @extend_schema_field(ExpectedResolutionSerializer(allow_null=True))
    def get_expected_resolution(self, obj: Incident) -> dict | None:
        """The running SLA resolution target, as the portal's panel (slm.panels) shows it."""
        timer = next(
            (
                timer
                for timer in obj.sla_timers.all()
                if timer.kind == AgreementKind.SLA
                and timer.metric == Metric.RESOLUTION
                and timer.stopped_at is None
                and timer.state != TimerState.CANCELLED
            ),
            None,
        )
        if timer is None:
            return None
        views = self.context.setdefault("_slm_views", {})
        if timer.pk not in views:
            views[timer.pk] = slm_services.view(timer)
        figures = views[timer.pk].figures
        due_at = figures.due_at.astimezone(datetime.UTC) if figures.due_at else None
        return ExpectedResolutionSerializer(
            {"due_at": due_at, "paused": timer.is_paused, "late": figures.breached}
        ).data

    # --- write --------------------------------------------------------------------------------

    def writable_fields_for_request(self) -> frozenset[str]:
        if self.instance is None:
            return AGENT_CREATE_FIELDS if self._is_agent() else END_USER_CREATE_FIELDS
        return AGENT_PATCH_FIELDS if self._is_agent() else frozenset()

    def to_internal_value(self, data):
        allowed = self.writable_fields_for_request()
        errors = {}
        for name in data if isinstance(data, Mapping) else ():
            if name in allowed:
                continue
            if name not in self.fields:
                errors[name] = [gettext("Unknown field.")]
            elif self.instance is None and name in TRANSITION_FIELDS and self._is_agent():
                errors[name] = [gettext("New incidents start in state “new”; change the state afterwards.")]
            elif self.instance is None and not self._is_agent():
                errors[name] = [gettext("This field cannot be set when reporting an incident.")]
            else:
                errors[name] = [gettext("This field cannot be changed here.")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        if self.instance is not None and "state" not in value:
            stray = [name for name in TRANSITION_FIELDS if name in value]
            if stray:
                raise serializers.ValidationError(
                    {name: [gettext("Only allowed together with a change of state.")] for name in stray}
                )
        return value

    def create(self, validated_data):
        user = self._request().user
        if not self._is_agent():
            validated_data["caller"] = user
        validated_data.setdefault("caller", user)
        validated_data.setdefault("contact_channel", ContactChannel.API)
        return services.create_incident(by=user, **validated_data)

    def update(self, instance: Incident, validated_data):
        return apply_patch(instance, by=self._request().user, data=dict(validated_data))


_MISSING = object()


def apply_patch(incident: Incident, *, by: User, data: dict) -> Incident:
    """Apply a PATCH through the services, in order: fields, parent, assignment, state.

    The caller runs this inside one transaction with the incident locked, so a PATCH that fails
    half-way (say a valid urgency with a forbidden state) writes nothing.
    """
    transition = {name: data.pop(name) for name in TRANSITION_FIELDS if name in data}
    assignment = {name: data.pop(name) for name in ASSIGNMENT_FIELDS if name in data}
    parent = data.pop("parent", _MISSING)
    if data:
        services.update_incident(incident, by=by, changes=data, expected_version=incident.version)
    if parent is not _MISSING and parent != incident.parent:
        services.link_parent(incident, by=by, parent=parent)
    if assignment:
        group = assignment.get("assignment_group", incident.assignment_group)
        if "assigned_to" in assignment:
            assignee = assignment["assigned_to"]
        else:
            # A new group clears the assignee, who is usually not a member of it.
            assignee = incident.assigned_to if group == incident.assignment_group else None
        services.assign_incident(
            incident, by=by, group=group, assignee=assignee, expected_version=incident.version
        )
    if transition:
        transition_to(incident, by=by, **transition)
    return incident


def transition_to(
    incident: Incident,
    *,
    by: User,
    state: str,
    hold_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    comment: str = "",
) -> Incident:
    """A state change requested by a client, with the extra rules of the named operations."""
    extra = hold_reason or resolution_code or resolution_notes or comment
    if state == incident.state and not extra:
        return incident  # already there (e.g. an assignment just started the work): nothing to do
    version = incident.version
    if state == State.ON_HOLD and incident.state != State.ON_HOLD:
        # put_on_hold adds the rule that "awaiting caller" must tell the caller what is awaited.
        return services.put_on_hold(
            incident, by=by, hold_reason=hold_reason, comment=comment, expected_version=version
        )
    if incident.state == State.RESOLVED and state == State.IN_PROGRESS:
        if not comment.strip():
            raise serializers.ValidationError({"comment": [gettext("Say why the incident is reopened.")]})
        return services.reopen_incident(incident, by=by, reason=comment, expected_version=version)
    return services.transition_incident(
        incident,
        by=by,
        state=state,
        hold_reason=hold_reason,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
        comment=comment,
        expected_version=version,
    )


# --- Actions ----------------------------------------------------------------------------------


class ResolveSerializer(serializers.Serializer):
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, allow_blank=True)
    resolution_notes = serializers.CharField(allow_blank=True)


class IncidentReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class AssignSerializer(serializers.Serializer):
    assignment_group = GroupRefField(queryset=SupportGroup.objects.filter(is_active=True), allow_null=True)
    assigned_to = UserRefField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    note = serializers.CharField(
        required=False, allow_blank=True, help_text=_("A work note on the assignment.")
    )


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True)


class CommentSerializer(UTCModelSerializer):
    """A public comment, or an internal work note (agents only; never shown to end users)."""

    author = UserRefField(read_only=True)
    internal = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("An internal work note (agents only), instead of a comment the caller sees."),
    )

    class Meta:
        model = IncidentTimelineEntry
        fields = ["id", "kind", "internal", "body", "author", "created_at"]
        read_only_fields = ["id", "kind", "author", "created_at"]
        extra_kwargs = {"body": {"allow_blank": True, "required": True}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["internal"] = not instance.is_public
        return data


class TimelineEntrySerializer(UTCModelSerializer):
    """One entry of the incident's history: comments, notes, field, state and assignment changes."""

    author = UserRefField(read_only=True)
    internal = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField(
        help_text=_(
            "Structured details (changed fields, events). End users get what the portal's history "
            "shows: the changes of state changes and ratings only."
        )
    )

    class Meta:
        model = IncidentTimelineEntry
        fields = ["id", "kind", "internal", "body", "data", "author", "created_at"]
        read_only_fields = fields

    def get_internal(self, obj) -> bool:
        return not obj.is_public

    def get_data(self, obj) -> dict:
        data = obj.data or {}
        if requester_is_agent(self.context):
            return data
        # As templates/portal/incidents/_timeline.html: a created entry's channel, priority and
        # routing, and every other kind's internals, stay with agents.
        if obj.kind not in PORTAL_TIMELINE_DATA_KINDS:
            return {}
        return {name: value for name, value in data.items() if name not in PORTAL_HIDDEN_TIMELINE_KEYS}


class AttachmentSerializer(UTCModelSerializer):
    uploaded_by = UserRefField(read_only=True)
    internal = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "internal",
            "uploaded_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_internal(self, obj) -> bool:
        return not obj.is_public

    def get_download_url(self, obj) -> str:
        # The view passes the incident in the context: no query per row.
        return reverse(
            "incident-attachment-download",
            kwargs={"number": self.context["incident"].number, "attachment_id": obj.pk},
            request=self.context.get("request"),
        )  # a handful per incident: plain reverse()


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    internal = serializers.BooleanField(
        required=False, default=False, help_text=_("Only agents can upload internal files.")
    )
