"""The change FilterSet, shared by the agent queue and the API list."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from changes.choices import TERMINAL_STATES, ApprovalStatus, ChangeState, ChangeType, Risk
from changes.models import ChangeRequest
from core.filters import IsoDateTimeFilter
from core.models import SupportGroup, User
from slm.models import Service


class ChangeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    scope = django_filters.ChoiceFilter(
        method="filter_scope",
        label=_("Show"),
        empty_label=_("All changes"),
        choices=[
            ("open", _("Open changes")),
            ("mine", _("Requested by or assigned to me")),
            ("my_groups", _("Assigned to my groups")),
        ],
    )
    state = django_filters.MultipleChoiceFilter(choices=ChangeState.choices, label=_("State"))
    change_type = django_filters.ChoiceFilter(choices=ChangeType.choices, label=_("Type"))
    risk = django_filters.ChoiceFilter(choices=Risk.choices, label=_("Risk"))
    approval_status = django_filters.ChoiceFilter(choices=ApprovalStatus.choices, label=_("Approval"))
    service = django_filters.ModelChoiceFilter(
        field_name="services", queryset=Service.objects.filter(is_active=True), label=_("Service")
    )
    assignment_group = django_filters.ModelChoiceFilter(
        queryset=SupportGroup.objects.filter(is_active=True), label=_("Assignment group")
    )
    requester = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Requester"))
    implementer = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Implementer"))
    configuration_item = django_filters.CharFilter(
        method="filter_ci", label=_("Configuration item"), help_text=_("Exact name, any case.")
    )
    planned_from = IsoDateTimeFilter(
        field_name="planned_end", lookup_expr="gt", label=_("Planned window ends after")
    )
    planned_to = IsoDateTimeFilter(
        field_name="planned_start", lookup_expr="lt", label=_("Planned window starts before")
    )
    template = django_filters.CharFilter(field_name="template__slug", label=_("Template (slug)"))

    class Meta:
        model = ChangeRequest
        fields = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | Q(short_description__icontains=value))

    def filter_ci(self, queryset, name, value):
        from changes.conflicts import normalize_ci

        if not value.strip():
            return queryset
        return queryset.filter(configuration_items__key=normalize_ci(value))

    def filter_scope(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value == "open":
            return queryset.exclude(state__in=TERMINAL_STATES)
        if value == "mine" and user is not None:
            return queryset.filter(Q(requester=user) | Q(implementer=user))
        if value == "my_groups" and user is not None:
            return queryset.filter(assignment_group__members=user)
        return queryset
