"""The incident FilterSet shared by the agent queue pages and the API list."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import IsoDateTimeFilter
from core.models import Category, Desk, SupportGroup, User
from incidents.choices import MajorState, Priority, State
from incidents.models import Incident
from slm.models import Service


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    # distinct=False: these are plain columns. django-filter's default DISTINCT made PostgreSQL
    # sort every matching row (all open incidents) by every selected column for one page.
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=State.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"), choices=Priority.choices, distinct=False
    )
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Group"), queryset=SupportGroup.objects.filter(is_active=True)
    )
    assigned_to = django_filters.ModelChoiceFilter(
        label=_("Assignee"), queryset=User.objects.filter(support_groups__isnull=False).distinct()
    )
    unassigned = django_filters.BooleanFilter(
        label=_("Unassigned"), field_name="assigned_to", lookup_expr="isnull"
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), method="filter_category"
    )
    service = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.filter(is_active=True)
    )
    desk = django_filters.ModelChoiceFilter(label=_("Desk"), queryset=Desk.objects.filter(is_active=True))
    caller = django_filters.ModelChoiceFilter(label=_("Caller"), queryset=User.objects.all())
    major_state = django_filters.ChoiceFilter(label=_("Major incident"), choices=MajorState.choices[1:])
    created_after = IsoDateTimeFilter(label=_("Created from"), field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(label=_("Created until"), field_name="created_at", lookup_expr="lt")
    updated_after = IsoDateTimeFilter(label=_("Updated from"), field_name="updated_at", lookup_expr="gte")
    updated_before = IsoDateTimeFilter(label=_("Updated until"), field_name="updated_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("INC") and value[3:].isdigit():
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(short_description__icontains=value) | Q(description__icontains=value))

    def filter_category(self, queryset, name, value):
        # A category filter includes its subcategories (Hardware includes Hardware > Printer).
        return queryset.filter(Q(category=value) | Q(category__path__startswith=f"{value.path} > "))
