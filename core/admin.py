from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import Category, Desk, IdempotencyRecord, Organization, SupportGroup, User


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
    list_display = ("name", "email", "time_zone", "language", "duty_manager", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "email")
    autocomplete_fields = ("duty_manager",)


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
