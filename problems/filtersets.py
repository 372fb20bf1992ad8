"""FilterSets shared by the agent pages and the API lists of problems and candidates."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import IsoDateTimeFilter
from core.models import Category, SupportGroup, User
from incidents.choices import Priority
from problems.choices import OPEN_STATES, CandidateStatus, GroupKind, State
from problems.models import Problem, ProblemCandidate
from problems.rules import AGE_BUCKETS
from slm.models import Service


class ProblemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    state = django_filters.MultipleChoiceFilter(
        label=_("State"), choices=State.choices, widget=forms.CheckboxSelectMultiple
    )
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open")
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"), choices=Priority.choices, widget=forms.CheckboxSelectMultiple
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
    service = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.filter(is_active=True)
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), method="filter_category"
    )
    known_error = django_filters.BooleanFilter(label=_("Known error"))
    age = django_filters.ChoiceFilter(
        label=_("Age"), choices=[(key, label) for key, label, _s, _e in AGE_BUCKETS], method="filter_age"
    )
    created_after = IsoDateTimeFilter(label=_("Created from"), field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(label=_("Created until"), field_name="created_at", lookup_expr="lt")
    updated_after = IsoDateTimeFilter(label=_("Updated from"), field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Problem
        fields = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("PRB") and value[3:].isdigit():
            return queryset.filter(number=value.upper())
        return queryset.filter(
            Q(short_description__icontains=value)
            | Q(description__icontains=value)
            | Q(configuration_item__icontains=value)
        )

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN_STATES) if value else queryset.exclude(state__in=OPEN_STATES)

    def filter_category(self, queryset, name, value):
        # A category filter includes its subcategories (Software includes Software > E-mail).
        return queryset.filter(Q(category=value) | Q(category__path__startswith=f"{value.path} > "))

    def filter_age(self, queryset, name, value):
        now = timezone.now()
        for key, _label, start, end in AGE_BUCKETS:
            if key == value:
                queryset = queryset.filter(created_at__lte=now - timezone.timedelta(days=start))
                if end is not None:
                    queryset = queryset.filter(created_at__gt=now - timezone.timedelta(days=end))
        return queryset


class CandidateFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CandidateStatus.choices)
    group_kind = django_filters.ChoiceFilter(label=_("Shared"), choices=GroupKind.choices)
    min_size = django_filters.NumberFilter(
        label=_("At least (incidents)"), field_name="member_count", lookup_expr="gte"
    )

    class Meta:
        model = ProblemCandidate
        fields = []
