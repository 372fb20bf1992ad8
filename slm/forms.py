"""Forms of service level management: policy conditions, public holidays, report periods."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Category, Desk
from incidents.choices import HoldReason, Priority
from slm.models import BusinessCalendar, Service, SlaPolicy, validate_opening_hours


class SlaPolicyForm(forms.ModelForm):
    """Lists stored as JSON are edited as checkboxes."""

    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"),
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any priority."),
    )
    pause_hold_reasons = forms.MultipleChoiceField(
        label=_("Pause while on hold for"),
        choices=HoldReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    duty_manager_priorities = forms.TypedMultipleChoiceField(
        label=_("Notify the desk's duty manager of breaches for"),
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SlaPolicy
        fields = [
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
        ]


class CalendarHoursFormSet(forms.BaseInlineFormSet):
    """The opening hours of a calendar edited together (admin inline): the submitted rows are
    checked against each other with the same rule as the model and the API."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.siblings_checked = True  # the formset's clean() compares the rows
        return form

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        spans = [
            (form.cleaned_data.get("weekday"), form.cleaned_data.get("start"), form.cleaned_data.get("end"))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        validate_opening_hours(spans)


class PublicHolidaysForm(forms.Form):
    country = forms.CharField(label=_("Country code"), max_length=10, initial="SE")
    year = forms.IntegerField(label=_("Year"), min_value=1970, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.now().year


class BreachReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why was the target missed?"), widget=forms.Textarea(attrs={"rows": 2}))


def _default_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


class PeriodForm(forms.Form):
    """A period of local dates [start, end] (inclusive), default: the last 30 days."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.all(), required=False)
    desk = forms.ModelChoiceField(
        label=_("Desk"), queryset=Desk.objects.filter(is_active=True), required=False
    )

    max_days = 800

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or (end - timedelta(days=29))
        if start > end:
            self.add_error("start", _("The period starts after it ends."))
        elif (end - start).days > self.max_days:
            self.add_error("start", _("Choose a period of at most %(days)s days.") % {"days": self.max_days})
        data["start"], data["end"] = start, end
        return data

    def bounds(self, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """The period as aware instants [start 00:00, day after end 00:00) in ``zone``."""
        zone = zone or _default_zone()
        start: date = self.cleaned_data["start"]
        end: date = self.cleaned_data["end"]
        return (
            datetime.combine(start, time(0), tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
        )

    def previous(self) -> tuple[date, date]:
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        length = (end - start).days + 1
        return start - timedelta(days=length), start - timedelta(days=1)


class ComplianceForm(PeriodForm):
    GROUPINGS = [("service", _("Service")), ("priority", _("Priority")), ("category", _("Category"))]
    group_by = forms.ChoiceField(label=_("Per"), choices=GROUPINGS, required=False, initial="service")


class DistributionForm(PeriodForm):
    category = forms.ModelChoiceField(
        label=_("Category (and below)"), queryset=Category.objects.filter(is_active=True), required=False
    )


class DemandForm(PeriodForm):
    calendar = forms.ModelChoiceField(
        label=_("Service hours"), queryset=BusinessCalendar.objects.filter(is_active=True), required=False
    )


class ServiceReviewForm(PeriodForm):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.all(), required=True)
