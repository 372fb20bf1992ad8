"""Forms of the major-incident pages (the operations themselves live in incidents.major)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import SupportGroup, User
from core.roles import INCIDENT_MANAGER
from incidents.choices import ResolutionCode
from incidents.major_choices import UpdateVisibility


def incident_manager_choices():
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=INCIDENT_MANAGER) | Q(is_superuser=True))
        .distinct()
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class StartForm(forms.Form):
    """Accepting a proposal or declaring directly: owner, cadence and what the portal shows."""

    owner = forms.ModelChoiceField(
        label=_("Incident manager (owner)"), queryset=User.objects.none(), required=False, empty_label=_("Me")
    )
    cadence_minutes = forms.IntegerField(
        label=_("Status update every (minutes)"), min_value=1, max_value=1440, required=False
    )
    public_title = forms.CharField(
        label=_("Title shown to end users"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the incident's short description."),
    )
    show_banner = forms.BooleanField(label=_("Announce on the portal"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = incident_manager_choices()
        self.fields["cadence_minutes"].initial = settings.MAJOR_DEFAULT_CADENCE_MINUTES

    def cadence(self) -> timedelta | None:
        minutes = self.cleaned_data.get("cadence_minutes")
        return timedelta(minutes=minutes) if minutes else None


class DeclareForm(StartForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    field_order = ["reason", "owner", "cadence_minutes", "public_title", "show_banner"]


class StakeholderForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(), required=False)
    group = forms.ModelChoiceField(
        label=_("Support group"), queryset=SupportGroup.objects.none(), required=False
    )
    address = forms.EmailField(label=_("or an e-mail address"), required=False)
    language = forms.ChoiceField(
        label=_("Language of the address"), choices=settings.LANGUAGES, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).exclude(username="system")
        self.fields["group"].queryset = SupportGroup.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        if sum(bool(data.get(name)) for name in ("user", "group", "address")) != 1:
            raise forms.ValidationError(_("Give exactly one of a user, a support group or an address."))
        return data


class StatusUpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Status update"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    visibility = forms.ChoiceField(
        label=_("Send to"),
        choices=UpdateVisibility.choices,
        initial=UpdateVisibility.PUBLIC,
        widget=forms.RadioSelect,
    )


class LinkChildForm(forms.Form):
    number = forms.CharField(label=_("Incident number"), max_length=20)


class ResolveForm(forms.Form):
    resolution_code = forms.ChoiceField(label=_("Resolution code"), choices=ResolutionCode.choices)
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )
    resolve_children = forms.BooleanField(
        label=_("Also resolve all open child incidents and notify their callers"),
        required=False,
        initial=True,
    )


class ReviewForm(forms.Form):
    timeline_summary = forms.CharField(
        label=_("Timeline summary"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    root_cause = forms.CharField(
        label=_("Root cause notes"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    actions = forms.CharField(
        label=_("Actions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One action per line."),
    )
    lessons = forms.CharField(
        label=_("What went well, what did not"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
