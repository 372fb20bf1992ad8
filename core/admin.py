from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import (
    Category,
    Desk,
    IdempotencyRecord,
    Organization,
    SupportGroup,
    SweepFailure,
    TaskHeartbeat,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "organization", "language", "is_active")
    list_filter = ("is_active", "is_staff", "groups", "organization", "language")
    list_select_related = ("organization",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Service desk"), {"fields": ("organization", "language", "time_zone", "phone", "job_title")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Service desk"), {"fields": ("email", "first_name", "last_name", "organization", "language")}),
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "email_domain", "share_tickets")
    search_fields = ("name", "email_domain")


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "time_zone", "language", "default_group", "duty_manager", "is_active")
    list_select_related = ("default_group", "duty_manager")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "email")
    autocomplete_fields = ("duty_manager",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "default_group":
            # Only this desk's active groups (a new desk has none yet: save it, add groups, come back).
            desk_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            groups = SupportGroup.objects.filter(is_active=True)
            kwargs["queryset"] = groups.filter(desk_id=desk_id) if desk_id else groups.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "desk", "line_level", "manager", "is_active")
    list_filter = ("desk", "line_level", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("members",)
    autocomplete_fields = ("manager",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("path", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "path")
    readonly_fields = ("path",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """API requests sent with an Idempotency-Key (read-only; they expire after 24 hours)."""

    list_display = ("created_at", "user", "method", "path", "key", "status_code")
    list_filter = ("method", "status_code")
    search_fields = ("key", "path", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaskHeartbeat)
class TaskHeartbeatAdmin(_ReadOnlyAdmin):
    """Written by Celery signals; read on the admin home page and by /readyz."""

    list_display = ("name", "last_run_at", "last_ok_at", "last_error_at", "registered_at")
    search_fields = ("name",)
    readonly_fields = ("name", "registered_at", "last_run_at", "last_ok_at", "last_error_at", "last_error")


@admin.register(SweepFailure)
class SweepFailureAdmin(_ReadOnlyAdmin):
    """Rows a sweep set aside after an error; deleting one makes the next sweep try it at once."""

    list_display = ("sweep", "model", "object_id", "attempts", "failed_at", "skip_until")
    list_filter = ("sweep",)
    search_fields = ("object_id", "error")
    readonly_fields = (
        "sweep",
        "model",
        "object_id",
        "error",
        "attempts",
        "first_failed_at",
        "failed_at",
        "skip_until",
    )
