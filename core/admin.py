from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import Category, Desk, Organization, SupportGroup, User


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
