"""Administration of services, business calendars (hours, holidays), policies (targets) and timers.

Timers are read-only here: only the engine changes them.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from slm import services
from slm.forms import CalendarHoursFormSet, PublicHolidaysForm, SlaPolicyForm
from slm.models import (
    BusinessCalendar,
    CalendarHours,
    Holiday,
    Service,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    TimerSegment,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "desk", "owner", "support_group", "calendar", "criticality", "is_active")
    list_filter = ("desk", "criticality", "is_active")
    list_select_related = ("desk", "owner", "support_group", "calendar")
    search_fields = ("name", "description")
    autocomplete_fields = ("owner",)


class CalendarHoursInline(admin.TabularInline):
    model = CalendarHours
    formset = CalendarHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "is_24x7", "holiday_country", "is_active", "version")
    list_filter = ("is_24x7", "is_active")
    search_fields = ("name",)
    readonly_fields = ("version",)
    inlines = [CalendarHoursInline, HolidayInline]
    actions = ["load_public_holidays"]

    @admin.action(description=_("Load public holidays for a country and year"))
    def load_public_holidays(self, request, queryset):
        if "apply" in request.POST:
            form = PublicHolidaysForm(request.POST)
            if form.is_valid():
                for calendar in queryset:
                    try:
                        added = services.load_public_holidays(
                            calendar, country=form.cleaned_data["country"], year=form.cleaned_data["year"]
                        )
                    except ValidationError as exc:
                        self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                        return None
                    self.message_user(
                        request,
                        _("%(calendar)s: %(count)d holiday(s) added.")
                        % {"calendar": calendar, "count": added},
                    )
                return None
        else:
            country = next((c.holiday_country for c in queryset if c.holiday_country), "SE")
            form = PublicHolidaysForm(initial={"country": country})
        return TemplateResponse(
            request,
            "admin/slm/load_public_holidays.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Load public holidays"),
                "form": form,
                "calendars": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = (
        "name",
        "kind",
        "order",
        "desk",
        "service",
        "category",
        "applies_to_major",
        "calendar",
        "is_active",
    )
    list_editable = ("order", "is_active")
    list_filter = ("kind", "is_active", "desk", "calendar")
    list_select_related = ("desk", "service", "category", "calendar")
    search_fields = ("name",)
    filter_horizontal = ("escalation_users", "escalation_groups")
    inlines = [SlaTargetInline]
    fieldsets = (
        (None, {"fields": ("name", "description", "kind", "order", "is_active")}),
        (
            _("Applies to"),
            {
                "fields": (
                    "ticket_type",
                    "desk",
                    "service",
                    "category",
                    "priorities",
                    "applies_to_major",
                    "support_group",
                )
            },
        ),
        (_("Counting"), {"fields": ("calendar", "warn_percent", "pause_hold_reasons")}),
        (
            _("Breach notifications"),
            {
                "fields": (
                    "notify_assignee",
                    "notify_group_manager",
                    "duty_manager_priorities",
                    "escalation_users",
                    "escalation_groups",
                    "escalation_addresses",
                )
            },
        ),
    )


class TimerSegmentInline(admin.TabularInline):
    model = TimerSegment
    extra = 0
    can_delete = False
    fields = ("kind", "start", "end", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdmin):
    list_display = ("incident", "kind", "metric", "cycle", "state", "policy", "due_at", "breached_at")
    list_filter = ("state", "kind", "metric", "policy")
    list_select_related = ("incident", "policy")
    search_fields = ("incident__number",)
    readonly_fields = [f.name for f in SlaTimer._meta.fields]
    inlines = [TimerSegmentInline]


@admin.register(TimerSegment)
class TimerSegmentAdmin(ReadOnlyAdmin):
    list_display = ("timer", "kind", "start", "end", "reason")
    list_select_related = ("timer",)
    readonly_fields = [f.name for f in TimerSegment._meta.fields]


@admin.register(CalendarHours)
class CalendarHoursAdmin(admin.ModelAdmin):
    list_display = ("calendar", "weekday", "start", "end")
    list_filter = ("calendar", "weekday")
    list_select_related = ("calendar",)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("calendar", "date", "name", "recurring")
    list_filter = ("calendar", "recurring")
    list_select_related = ("calendar",)
    search_fields = ("name",)


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ("policy", "metric", "priority", "target_minutes")
    list_filter = ("policy", "metric")
    list_select_related = ("policy",)
