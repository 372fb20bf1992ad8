"""Serializers of the SLM API: services, calendars (hours, holidays), policies (targets) and the
timers that the incident API embeds as ``timers``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import Desk, SupportGroup, User
from slm import services
from slm.models import (
    BusinessCalendar,
    CalendarHours,
    Holiday,
    Service,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    validate_opening_hours,
)


class ServiceSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)
    desk = serializers.SlugRelatedField(
        slug_field="slug", queryset=Desk.objects.all(), allow_null=True, required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), allow_null=True, required=False
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), allow_null=True, required=False
    )
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "display",
            "description",
            "desk",
            "owner",
            "support_group",
            "calendar",
            "criticality",
            "is_active",
        ]


class CalendarHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarHours
        fields = ["weekday", "start", "end"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name", "recurring"]


class BusinessCalendarSerializer(serializers.ModelSerializer):
    """Hours and holidays are replaced as a whole when given on a write."""

    hours = CalendarHoursSerializer(many=True, required=False)
    holidays = HolidaySerializer(many=True, required=False)

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "description",
            "time_zone",
            "is_24x7",
            "holiday_country",
            "is_active",
            "version",
            "hours",
            "holidays",
        ]
        read_only_fields = ["version"]

    def validate(self, attrs):
        hours = attrs.get("hours")
        if hours is not None:
            try:  # the same rule as the model and the admin
                validate_opening_hours((row["weekday"], row["start"], row["end"]) for row in hours)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"hours": exc.messages}) from None
        holidays = attrs.get("holidays")
        if holidays is not None:
            dates = [h["date"] for h in holidays]
            if len(dates) != len(set(dates)):
                raise serializers.ValidationError({"holidays": ["A date is listed twice."]})
        return attrs

    def _write_children(self, calendar, hours, holidays) -> None:
        if hours is not None:
            calendar.hours.all().delete()
            CalendarHours.objects.bulk_create([CalendarHours(calendar=calendar, **row) for row in hours])
        if holidays is not None:
            calendar.holidays.all().delete()
            Holiday.objects.bulk_create([Holiday(calendar=calendar, **row) for row in holidays])
        if hours is not None or holidays is not None:
            services.calendar_changed(calendar)

    @transaction.atomic
    def create(self, validated_data):
        hours, holidays = validated_data.pop("hours", None), validated_data.pop("holidays", None)
        calendar = super().create(validated_data)
        self._write_children(calendar, hours, holidays)
        return calendar

    @transaction.atomic
    def update(self, instance, validated_data):
        hours, holidays = validated_data.pop("hours", None), validated_data.pop("holidays", None)
        calendar = super().update(instance, validated_data)
        self._write_children(calendar, hours, holidays)
        return calendar


class SlaTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = ["metric", "priority", "target_minutes"]
        validators = []  # uniqueness is checked on the whole list in PolicySerializer


class PolicySerializer(serializers.ModelSerializer):
    """Targets are replaced as a whole when given on a write."""

    targets = SlaTargetSerializer(many=True, required=False)
    desk = serializers.SlugRelatedField(
        slug_field="slug", queryset=Desk.objects.all(), allow_null=True, required=False
    )
    escalation_users = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), many=True, required=False
    )
    priorities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False
    )
    duty_manager_priorities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False
    )
    pause_hold_reasons = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "order",
            "is_active",
            "ticket_type",
            "desk",
            "service",
            "category",
            "priorities",
            "applies_to_major",
            "support_group",
            "calendar",
            "warn_percent",
            "pause_hold_reasons",
            "notify_assignee",
            "notify_group_manager",
            "duty_manager_priorities",
            "escalation_users",
            "escalation_groups",
            "escalation_addresses",
            "version",
            "targets",
        ]
        read_only_fields = ["version"]

    def validate(self, attrs):
        targets = attrs.get("targets")
        if targets is not None:
            keys = [(t["metric"], t.get("priority")) for t in targets]
            if len(keys) != len(set(keys)):
                raise serializers.ValidationError(
                    {"targets": ["Each metric and priority may have one target."]}
                )
        probe = SlaPolicy(
            **{
                k: v
                for k, v in {**self._current(), **attrs}.items()
                if k not in ("targets", "escalation_users", "escalation_groups")
            }
        )
        try:
            probe.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict)
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        names = [
            "kind",
            "priorities",
            "pause_hold_reasons",
            "duty_manager_priorities",
            "support_group",
            "calendar",
        ]
        return {name: getattr(self.instance, name) for name in names}

    def _write_targets(self, policy, targets) -> None:
        if targets is None:
            return
        policy.targets.all().delete()
        SlaTarget.objects.bulk_create([SlaTarget(policy=policy, **t) for t in targets])
        services.policy_targets_changed(policy)

    @transaction.atomic
    def create(self, validated_data):
        targets = validated_data.pop("targets", None)
        policy = super().create(validated_data)
        self._write_targets(policy, targets)
        return policy

    @transaction.atomic
    def update(self, instance, validated_data):
        targets = validated_data.pop("targets", None)
        policy = super().update(instance, validated_data)
        self._write_targets(policy, targets)
        return policy


class IncidentTimerSerializer(serializers.ModelSerializer):
    """One timer of an incident, with live figures (embed as ``timers`` in the incident detail).

    Needs the timer's segments and calendar hours/holidays: use
    ``slm.services.timers_prefetch()`` on the incident queryset so that lists stay constant in
    queries.
    """

    policy = serializers.CharField(source="policy.name", read_only=True)
    breached = serializers.SerializerMethodField()
    paused = serializers.BooleanField(source="is_paused", read_only=True)
    elapsed_seconds = serializers.SerializerMethodField()
    remaining_seconds = serializers.SerializerMethodField()

    class Meta:
        model = SlaTimer
        fields = [
            "id",
            "kind",
            "metric",
            "cycle",
            "policy",
            "target_seconds",
            "state",
            "started_at",
            "stopped_at",
            "due_at",
            "warning_at",
            "elapsed_seconds",
            "remaining_seconds",
            "breached",
            "breached_at",
            "paused",
        ]
        read_only_fields = fields

    def _view(self, timer) -> services.TimerView:
        cache = self.context.setdefault("_slm_views", {})
        if timer.pk not in cache:
            cache[timer.pk] = services.view(timer)
        return cache[timer.pk]

    def get_breached(self, timer) -> bool:
        return timer.state == "breached" or self._view(timer).figures.breached

    def get_elapsed_seconds(self, timer) -> int:
        return int(self._view(timer).figures.elapsed.total_seconds())

    @extend_schema_field(serializers.IntegerField())
    def get_remaining_seconds(self, timer) -> int:
        return self._view(timer).remaining_seconds
