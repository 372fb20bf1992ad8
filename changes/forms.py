"""Forms of the agent UI. They validate input; the services do the work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from changes.choices import (
    BackoutPlan,
    ChangeType,
    Complexity,
    Decision,
    Experience,
    Impact,
    Outcome,
    Risk,
    Tested,
    UserImpact,
)
from changes.services import parse_ci_text
from core.models import SupportGroup, User
from core.roles import AGENT_ROLES
from slm.models import Service

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input, read in the user's time zone (activated by the views)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)


def agent_queryset():
    return User.objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct()


class ChangeForm(forms.Form):
    """Create or edit a normal or emergency change."""

    change_type = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (ChangeType.NORMAL, ChangeType.NORMAL.label),
            (ChangeType.EMERGENCY, ChangeType.EMERGENCY.label),
        ],
    )
    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    justification = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    configuration_items = forms.CharField(
        label=_("Configuration items"),
        required=False,
        help_text=_("Separate with commas, e.g. db01, web-frontend."),
    )
    requester = forms.ModelChoiceField(label=_("Requester"), queryset=User.objects.none(), required=False)
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"), queryset=SupportGroup.objects.filter(is_active=True), required=False
    )
    implementer = forms.ModelChoiceField(label=_("Implementer"), queryset=User.objects.none(), required=False)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.LOW)
    planned_start = LocalDateTimeField(label=_("Planned start"), required=False)
    planned_end = LocalDateTimeField(label=_("Planned end"), required=False)
    implementation_plan = forms.CharField(
        label=_("Implementation plan"), widget=forms.Textarea, required=False
    )
    backout_plan = forms.CharField(label=_("Backout plan"), widget=forms.Textarea, required=False)
    test_plan = forms.CharField(label=_("Test plan"), widget=forms.Textarea, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editable: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        agents = agent_queryset()
        self.fields["requester"].queryset = agents
        self.fields["implementer"].queryset = agents
        self.editable = editable
        if editable is not None:
            for name in list(self.fields):
                if name != "version" and name not in editable:
                    del self.fields[name]

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", _("The end must be after the start."))
        elif bool(start) != bool(end) and "planned_start" in self.fields:
            self.add_error("planned_end" if start else "planned_start", _("Give both the start and the end."))
        return data

    def service_kwargs(self) -> dict:
        """The cleaned data as keyword arguments of the services."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if "configuration_items" in data:
            data["configuration_items"] = parse_ci_text(data["configuration_items"])
        return data


class TemplateChangeForm(forms.Form):
    """Open a standard change from a template: mostly just the window."""

    planned_start = LocalDateTimeField(label=_("Planned start"), required=False, help_text=_("Empty: now."))
    planned_end = LocalDateTimeField(
        label=_("Planned end"), required=False, help_text=_("Empty: start plus the template's duration.")
    )
    short_description = forms.CharField(
        label=_("Short description"), max_length=200, required=False, help_text=_("Empty: the template's.")
    )
    description = forms.CharField(label=_("Additional notes"), widget=forms.Textarea, required=False)
    implementer = forms.ModelChoiceField(label=_("Implementer"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["implementer"].queryset = agent_queryset()

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if end and not start:
            self.add_error("planned_start", _("Give the planned start too."))
        if start and end and end <= start:
            self.add_error("planned_end", _("The end must be after the start."))
        return data


class RiskForm(forms.Form):
    user_impact = forms.ChoiceField(
        label=_("Impact on users during the change"), choices=UserImpact.choices, widget=forms.RadioSelect
    )
    complexity = forms.ChoiceField(
        label=_("Complexity"), choices=Complexity.choices, widget=forms.RadioSelect
    )
    tested = forms.ChoiceField(label=_("Tested beforehand"), choices=Tested.choices, widget=forms.RadioSelect)
    backout_plan = forms.ChoiceField(
        label=_("Backout plan exists"), choices=BackoutPlan.choices, widget=forms.RadioSelect
    )
    experience = forms.ChoiceField(
        label=_("Experience with similar changes"), choices=Experience.choices, widget=forms.RadioSelect
    )
    override_risk = forms.ChoiceField(
        label=_("Override the calculated risk"),
        choices=[("", _("No, use the calculated risk")), *Risk.choices],
        required=False,
    )
    override_reason = forms.CharField(
        label=_("Reason for the override"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when you reject: the requester sees your reasons."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == Decision.REJECT and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Give the reason for the rejection."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OverrideForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Reason for the override"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    notes = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required unless the change was successful."),
    )


class CloseForm(forms.Form):
    review_notes = forms.CharField(
        label=_("Post-implementation review"), widget=forms.Textarea(attrs={"rows": 4})
    )


class WorkNoteForm(forms.Form):
    body = forms.CharField(label=_("Work note"), widget=forms.Textarea(attrs={"rows": 2}))


class CalendarForm(forms.Form):
    view = forms.ChoiceField(
        label=pgettext_lazy("calendar view", "View"),
        choices=[("month", _("Month")), ("week", _("Week"))],
        required=False,
    )
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True), required=False
    )
