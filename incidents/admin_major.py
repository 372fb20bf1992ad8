"""Admin of the major-incident procedure: escalation policies and default stakeholders are
configured here; the records of major incidents are read-only (they change through
incidents.major only)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from incidents.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    MajorAffectedUser,
    MajorIncident,
    MajorStakeholder,
    MajorStatusUpdate,
    PostIncidentReview,
    ServiceStakeholderDefault,
)


class EscalationLevelForm(forms.ModelForm):
    """Administrators enter the wait in minutes (decimals allowed: 0.5 is 30 seconds)."""

    delay_minutes = forms.DecimalField(
        label=_("Wait for acknowledgement (minutes)"),
        min_value=Decimal("0"),
        max_value=Decimal("10080"),
        decimal_places=2,
        initial=Decimal("15"),
        help_text=_("If nobody acknowledges within this time, the next level is notified."),
    )

    class Meta:
        model = EscalationLevel
        fields = ["order", "delay_minutes", "users", "groups", "oncall_address", "oncall_language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["delay_minutes"] = Decimal(self.instance.delay.total_seconds() / 60).quantize(
                Decimal("0.01")
            )

    def save(self, commit=True):
        self.instance.delay = timedelta(seconds=float(self.cleaned_data["delay_minutes"]) * 60)
        return super().save(commit=commit)


class EscalationLevelInline(admin.StackedInline):
    model = EscalationLevel
    form = EscalationLevelForm
    extra = 0
    filter_horizontal = ("users", "groups")


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    form = EscalationLevelForm
    list_display = ("policy", "order", "delay", "oncall_address")
    list_select_related = ("policy",)
    filter_horizontal = ("users", "groups")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("service",)
    inlines = [EscalationLevelInline]


@admin.register(ServiceStakeholderDefault)
class ServiceStakeholderDefaultAdmin(admin.ModelAdmin):
    list_display = ("__str__", "service", "language")
    list_select_related = ("service", "user", "group")
    autocomplete_fields = ()


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StepInline(ReadOnlyInline):
    model = EscalationStep
    fields = ("order", "due_at", "state", "notified_at", "cancelled_at", "recipients")
    readonly_fields = fields


class StakeholderInline(ReadOnlyInline):
    model = MajorStakeholder
    fields = ("user", "group", "address", "source", "created_at")
    readonly_fields = fields


class UpdateInline(ReadOnlyInline):
    model = MajorStatusUpdate
    fields = ("posted_at", "posted_by", "visibility", "body", "recipient_count")
    readonly_fields = fields


@admin.register(MajorIncident)
class MajorIncidentAdmin(admin.ModelAdmin):
    """Read-only: the procedure changes only through incidents.major (UI, API, tasks)."""

    list_display = ("incident", "owner", "accepted_at", "escalation_level", "acknowledged_at", "resolved_at")
    list_select_related = ("incident", "owner")
    search_fields = ("incident__number", "incident__short_description", "public_title")
    readonly_fields = [f.name for f in MajorIncident._meta.fields]
    inlines = [StakeholderInline, StepInline, UpdateInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ("major", "order", "state", "due_at", "notified_at")
    list_filter = ("state",)
    list_select_related = ("major__incident",)
    readonly_fields = [f.name for f in EscalationStep._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MajorStakeholder)
class MajorStakeholderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "major", "source", "created_at")
    list_select_related = ("major__incident", "user", "group")
    readonly_fields = [f.name for f in MajorStakeholder._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MajorStatusUpdate)
class MajorStatusUpdateAdmin(admin.ModelAdmin):
    list_display = ("major", "visibility", "posted_by", "posted_at", "recipient_count")
    list_filter = ("visibility",)
    list_select_related = ("major__incident", "posted_by")
    readonly_fields = [f.name for f in MajorStatusUpdate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MajorAffectedUser)
class MajorAffectedUserAdmin(admin.ModelAdmin):
    list_display = ("user", "major", "created_at")
    list_select_related = ("major__incident", "user")
    readonly_fields = [f.name for f in MajorAffectedUser._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(admin.ModelAdmin):
    list_display = ("major", "created_by", "updated_at", "problem_reference")
    list_select_related = ("major__incident", "created_by")
    readonly_fields = ("major", "created_by", "created_at", "updated_by", "updated_at")

    def has_add_permission(self, request):
        return False
