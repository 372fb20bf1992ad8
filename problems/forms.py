"""Forms of the agent pages. They validate input only; the service functions make the changes."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Category, SupportGroup, User
from core.roles import AGENT_ROLES
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from problems.choices import Audience, ResolutionCode, TaskCloseCode, TaskState, TaskType
from problems.models import Problem
from slm.models import Service

_NUMBER = re.compile(r"[A-Za-z]+\d+")


def agents():
    return User.objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct()


def parse_incident_numbers(values: list[str]) -> list[str]:
    """Incident numbers from checkbox values and pasted text (commas, spaces, new lines)."""
    numbers = []
    for value in values:
        for token in _NUMBER.findall(value or ""):
            number = token.upper()
            if number not in numbers:
                numbers.append(number)
    return numbers


class IncidentNumbersField(forms.Field):
    """A list of incident numbers: several form values and/or a pasted list. Cleans to incidents."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "INC0001042, INC0001043"})

    def to_python(self, value):
        if value in (None, ""):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return parse_incident_numbers([str(v) for v in values])

    def validate(self, value):
        super().validate(value)
        if self.required and not value:
            raise forms.ValidationError(_("Give at least one incident number."), code="required")

    def clean(self, value):
        numbers = super().clean(value)
        if not numbers:
            return []
        found = {i.number: i for i in Incident.objects.filter(number__in=numbers)}
        unknown = [n for n in numbers if n not in found]
        if unknown:
            raise forms.ValidationError(
                _("No incident with the number %(numbers)s.") % {"numbers": ", ".join(unknown)},
                code="unknown",
            )
        return [found[n] for n in numbers]


class MultiValueTextarea(forms.Textarea):
    """Reads every value of the field (checkboxes from a queue) as well as a pasted list."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            return data.getlist(name)
        return data.get(name)

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(getattr(v, "number", str(v)) for v in value)
        return super().format_value(value)


class OwnIds:
    """Several forms share the detail page: each gets its own id prefix so labels stay unique."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _group_and_assignee(form) -> None:
    form.fields["assignment_group"] = forms.ModelChoiceField(
        label=_("Assignment group"), queryset=SupportGroup.objects.filter(is_active=True), required=False
    )
    form.fields["assigned_to"] = forms.ModelChoiceField(
        label=_("Assignee"), queryset=agents(), required=False
    )


class ProblemCreateForm(forms.Form):
    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True), required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    configuration_item = forms.CharField(label=_("Configuration item"), max_length=200, required=False)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.LOW
    )
    incidents = IncidentNumbersField(
        label=_("Incidents to link"),
        required=False,
        widget=MultiValueTextarea(attrs={"rows": 2, "placeholder": "INC0001042, INC0001043"}),
        help_text=_("Incident numbers separated by commas, spaces or new lines."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _group_and_assignee(self)


class ProblemEditForm(OwnIds, forms.ModelForm):
    id_prefix = "edit"

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Problem
        fields = [
            "short_description",
            "description",
            "service",
            "category",
            "configuration_item",
            "impact",
            "urgency",
            "symptoms",
            "root_cause",
            "workaround",
            "fix_description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "root_cause": forms.Textarea(attrs={"rows": 3}),
            "workaround": forms.Textarea(attrs={"rows": 3}),
            "fix_description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(is_active=True)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AssignForm(OwnIds, forms.Form):
    id_prefix = "assign"

    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _group_and_assignee(self)
        self.order_fields(["assignment_group", "assigned_to", "note"])


class TransitionForm(OwnIds, forms.Form):
    id_prefix = "move"

    state = forms.ChoiceField(label=_("Move to"))
    reason = forms.CharField(
        label=_("Reason / comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = list(states)


class ResolveForm(OwnIds, forms.Form):
    id_prefix = "resolve"

    resolution_code = forms.ChoiceField(label=_("Resolution code"), choices=ResolutionCode.choices)
    fix_description = forms.CharField(label=_("Fix description"), widget=forms.Textarea(attrs={"rows": 3}))
    resolve_incidents = forms.BooleanField(
        label=_("Also resolve the linked open incidents (their callers are notified)"),
        required=False,
        initial=True,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, codes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if codes is not None:
            self.fields["resolution_code"].choices = [
                (v, label) for v, label in ResolutionCode.choices if v in codes
            ]


class NoteForm(OwnIds, forms.Form):
    id_prefix = "note"

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("work_note", _("Work note")), ("comment", _("Comment"))],
        initial="work_note",
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class LinkForm(OwnIds, forms.Form):
    id_prefix = "link"

    incidents = IncidentNumbersField(
        label=_("Incidents"),
        widget=MultiValueTextarea(attrs={"rows": 3, "placeholder": "INC0001042, INC0001043"}),
        help_text=_("Paste incident numbers separated by commas, spaces or new lines, or tick them below."),
    )
    hold = forms.BooleanField(
        label=_("Put new and in-progress incidents on hold, awaiting this problem"), required=False
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class LinkToProblemForm(LinkForm):
    problem = forms.CharField(label=_("Problem number"), max_length=20)

    def clean_problem(self):
        number = self.cleaned_data["problem"].strip().upper()
        problem = Problem.objects.filter(number=number).first()
        if problem is None:
            raise forms.ValidationError(_("No problem with the number %(number)s.") % {"number": number})
        return problem


class KnownErrorForm(OwnIds, forms.Form):
    id_prefix = "ke"

    audience = forms.ChoiceField(
        label=_("Article visible to"), choices=Audience.choices, initial=Audience.AGENTS
    )
    symptoms = forms.CharField(
        label=_("Symptoms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What users notice, in their words. Shown first in the article."),
    )


class TaskForm(OwnIds, forms.Form):
    id_prefix = "task"

    short_description = forms.CharField(label=_("Short description"), max_length=200)
    task_type = forms.ChoiceField(label=_("Type"), choices=TaskType.choices, initial=TaskType.GENERAL)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _group_and_assignee(self)


class TaskUpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=TaskState.choices, required=False)
    close_code = forms.ChoiceField(
        label=_("Close code"), choices=[("", "—"), *TaskCloseCode.choices], required=False
    )
    close_notes = forms.CharField(
        label=_("Close notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this not a problem?"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConvertForm(forms.Form):
    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.MEDIUM
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    hold = forms.BooleanField(
        label=_("Put new and in-progress incidents on hold, awaiting this problem"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _group_and_assignee(self)
