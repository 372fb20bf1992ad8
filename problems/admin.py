"""Django admin of problem management: problems (edits go through the services), tasks, links,
timeline (read-only), trend candidates and the trend detection settings (one row)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from problems import services
from problems.choices import CandidateStatus, State
from problems.models import (
    Problem,
    ProblemCandidate,
    ProblemIncident,
    ProblemTask,
    ProblemTimelineEntry,
    TrendSettings,
)


class TimelineInline(admin.TabularInline):
    model = ProblemTimelineEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "author", "body", "data")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False


class IncidentLinkInline(admin.TabularInline):
    model = ProblemIncident
    extra = 0
    can_delete = False
    fields = ("incident", "linked_by", "linked_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class TaskInline(admin.TabularInline):
    model = ProblemTask
    extra = 0
    can_delete = False
    fields = ("number", "short_description", "state", "close_code", "assignment_group", "assigned_to")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    """Descriptive fields are editable (saved through ``update_problem``, so the timeline records
    them); state, assignment and known error change through the agent UI, the API or the actions."""

    list_display = (
        "number",
        "short_description",
        "priority",
        "state",
        "known_error",
        "assignment_group",
        "assigned_to",
        "created_at",
    )
    list_filter = ("state", "priority", "known_error", "assignment_group", "service")
    list_select_related = ("assignment_group", "assigned_to")
    search_fields = ("number", "short_description", "configuration_item")
    date_hierarchy = "created_at"
    fields = (
        "number",
        "state",
        "priority",
        *services.EDITABLE_FIELDS,
        "assignment_group",
        "assigned_to",
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
    )
    readonly_fields = [f for f in fields if f not in services.EDITABLE_FIELDS]
    inlines = [IncidentLinkInline, TaskInline, TimelineInline]
    actions = ["close_resolved"]

    def has_add_permission(self, request):
        return False  # problems are opened in the agent UI or the API (numbering, timeline)

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: history is kept

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS
        }
        if changes:
            try:
                services.update_problem(Problem.objects.get(pk=obj.pk), by=request.user, changes=changes)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))

    @admin.action(description=_("Close selected resolved problems"))
    def close_resolved(self, request, queryset):
        done = 0
        for problem in queryset.filter(state=State.RESOLVED):
            try:
                services.close_problem(problem, by=request.user)
                done += 1
            except ValidationError as exc:
                messages.error(request, f"{problem.number}: {' '.join(exc.messages)}")
        messages.success(request, _("%(count)d problem(s) closed.") % {"count": done})


@admin.register(ProblemTimelineEntry)
class ProblemTimelineEntryAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "author", "created_at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "author")
    readonly_fields = [f.name for f in ProblemTimelineEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProblemIncident)
class ProblemIncidentAdmin(admin.ModelAdmin):
    list_display = ("problem", "incident", "linked_by", "linked_at")
    list_select_related = ("problem", "incident", "linked_by")
    search_fields = ("problem__number", "incident__number")
    readonly_fields = ("problem", "incident", "linked_by", "linked_at", "workaround_sent")

    def has_add_permission(self, request):
        return False  # link in the agent UI or the API: both timelines record it

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProblemTask)
class ProblemTaskAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "problem",
        "short_description",
        "task_type",
        "state",
        "close_code",
        "assigned_to",
    )
    list_filter = ("state", "task_type", "close_code")
    list_select_related = ("problem", "assigned_to")
    search_fields = ("number", "short_description", "problem__number")
    readonly_fields = [f.name for f in ProblemTask._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProblemCandidate)
class ProblemCandidateAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "group_kind", "member_count", "score", "last_detected_at", "problem")
    list_filter = ("status", "group_kind")
    list_select_related = ("problem",)
    search_fields = ("title",)
    readonly_fields = [f.name for f in ProblemCandidate._meta.fields]
    filter_horizontal = ()
    exclude = ("members",)
    actions = ["detect_now", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Run trend detection now"))
    def detect_now(self, request, queryset):
        result = services.detect_trends()
        messages.success(
            request,
            _("Trend detection: %(created)d new, %(updated)d updated, %(reopened)d proposed again.")
            % {
                "created": len(result.created),
                "updated": len(result.updated),
                "reopened": len(result.reopened),
            },
        )

    @admin.action(description=_("Dismiss selected candidates"))
    def dismiss(self, request, queryset):
        for candidate in queryset.filter(status=CandidateStatus.OPEN):
            services.dismiss_candidate(
                candidate, by=request.user, reason=str(_("Dismissed in administration."))
            )


@admin.register(TrendSettings)
class TrendSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "is_enabled", "window_days", "min_size", "similarity", "updated_at")

    def has_add_permission(self, request):
        return not TrendSettings.objects.exists()  # one row: the settings
