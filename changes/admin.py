"""Administration of change enablement: the standard change catalog, approval rules,
maintenance and freeze windows. Change requests and approvals are read-only here: they change
only through the agent UI and the API (the services), so history stays consistent."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from changes import services
from changes.models import (
    Approval,
    ApprovalRequirement,
    ApprovalRule,
    ChangeRequest,
    ChangeTemplate,
    ChangeTimelineEntry,
    ConfigurationItem,
    FreezeWindow,
    MaintenanceWindow,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name", "key")


class ChangeTemplateForm(forms.ModelForm):
    ci_names = forms.CharField(
        label=_("Configuration items"),
        required=False,
        help_text=_("Separate with commas; matched ignoring case."),
    )

    class Meta:
        model = ChangeTemplate
        fields = (
            "name",
            "slug",
            "short_description",
            "description",
            "justification",
            "services",
            "assignment_group",
            "risk",
            "impact",
            "default_duration",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "review_reason",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["ci_names"].initial = ", ".join(
                ci.name for ci in self.instance.configuration_items.all()
            )


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(admin.ModelAdmin):
    form = ChangeTemplateForm
    list_display = ("name", "slug", "status", "risk", "needs_review", "approved_by", "approved_at")
    list_filter = ("status", "risk", "needs_review")
    search_fields = ("name", "slug", "short_description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("services",)
    readonly_fields = ("status", "approved_by", "approved_at", "needs_review", "flagged_at", "created_at")
    actions = ["approve_selected", "retire_selected"]
    fieldsets = (
        (None, {"fields": ("name", "slug", "status", "short_description", "description", "justification")}),
        (
            _("Scope"),
            {"fields": ("services", "ci_names", "assignment_group", "risk", "impact", "default_duration")},
        ),
        (_("Plans"), {"fields": ("implementation_plan", "backout_plan", "test_plan")}),
        (
            _("Approval and review"),
            {
                "fields": (
                    "approved_by",
                    "approved_at",
                    "needs_review",
                    "review_reason",
                    "flagged_at",
                    "created_at",
                )
            },
        ),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from changes.services import parse_ci_text

        names = parse_ci_text(form.cleaned_data.get("ci_names", ""))
        form.instance.configuration_items.set(ConfigurationItem.for_names(names))

    @admin.action(description=_("Approve the selected templates (change managers)"))
    def approve_selected(self, request, queryset):
        try:
            for template in queryset:
                services.approve_template(template, by=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, _("Approved."), messages.SUCCESS)

    @admin.action(description=_("Retire the selected templates"))
    def retire_selected(self, request, queryset):
        try:
            for template in queryset:
                services.retire_template(template, by=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, _("Retired."), messages.SUCCESS)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "change_type", "risk", "policy", "quorum", "is_active")
    list_filter = ("change_type", "risk", "policy", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("groups",)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "weekday", "start_time", "end_time", "time_zone", "is_active")
    list_filter = ("service", "weekday", "is_active")
    search_fields = ("name", "service__name")
    list_select_related = ("service",)


@admin.register(FreezeWindow)
class FreezeWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "start", "end", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "description")
    filter_horizontal = ("services",)
    date_hierarchy = "start"


class TimelineInline(admin.TabularInline):
    model = ChangeTimelineEntry
    fields = ("created_at", "kind", "author", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "change_type",
        "short_description",
        "state",
        "approval_status",
        "risk",
        "planned_start",
    )
    list_filter = ("change_type", "state", "approval_status", "risk")
    search_fields = ("number", "short_description")
    list_select_related = ("requester",)
    date_hierarchy = "created_at"
    inlines = [TimelineInline]


@admin.register(ChangeTimelineEntry)
class ChangeTimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "created_at", "kind", "author")
    list_filter = ("kind",)
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__number", "body")


@admin.register(ApprovalRequirement)
class ApprovalRequirementAdmin(ReadOnlyAdmin):
    list_display = ("change", "round", "name", "policy", "quorum", "outcome")
    list_filter = ("policy", "outcome")
    list_select_related = ("change",)
    search_fields = ("change__number", "name")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("change", "approver", "group", "state", "decided_at", "retrospective")
    list_filter = ("state", "retrospective")
    list_select_related = ("change", "approver", "group")
    search_fields = ("change__number", "approver__username")
    exclude = ("link_nonce",)
