from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from incidents import services
from incidents.choices import State
from incidents.models import Attachment, Incident, IncidentTimelineEntry, PriorityMatrixCell, RoutingRule


class TimelineInline(admin.TabularInline):
    model = IncidentTimelineEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "author", "is_public", "body", "data")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ("filename", "content_type", "size", "is_public", "uploaded_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-mostly: state, assignment and resolution change only through the domain operations."""

    list_display = (
        "number",
        "short_description",
        "priority",
        "state",
        "assignment_group",
        "assigned_to",
        "caller",
        "created_at",
    )
    list_filter = ("state", "priority", "desk", "assignment_group", "major_state", "contact_channel")
    list_select_related = ("assignment_group", "assigned_to", "caller")
    search_fields = ("number", "short_description")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [TimelineInline, AttachmentInline]
    actions = ["close_resolved"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Close selected resolved incidents"))
    def close_resolved(self, request, queryset):
        done = 0
        for incident in queryset.filter(state=State.RESOLVED):
            try:
                services.close_incident(incident, by=request.user)
                done += 1
            except ValidationError as exc:
                messages.error(request, f"{incident.number}: {exc}")
        messages.success(request, _("%(count)d incident(s) closed.") % {"count": done})


@admin.register(IncidentTimelineEntry)
class IncidentTimelineEntryAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "author", "is_public", "created_at")
    list_filter = ("kind", "is_public")
    list_select_related = ("ticket", "author")
    readonly_fields = [f.name for f in IncidentTimelineEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "incident", "size", "content_type", "is_public", "created_at")
    list_select_related = ("incident",)
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PriorityMatrixCell)
class PriorityMatrixCellAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_display_links = None


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "desk", "category", "service", "assignment_group", "is_active")
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "desk")
