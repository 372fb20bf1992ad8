"""FilterSets of SLM, shared by the API lists (and the agent pages that list the same objects)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Desk
from slm.choices import AgreementKind
from slm.models import BusinessCalendar, Service, SlaPolicy


class ServiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    desk = django_filters.ModelChoiceFilter(label=_("Desk"), queryset=Desk.objects.all())
    is_active = django_filters.BooleanFilter(label=pgettext_lazy("record is in use", "Active"))

    class Meta:
        model = Service
        fields = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset
        )


class CalendarFilterSet(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(label=pgettext_lazy("record is in use", "Active"))
    is_24x7 = django_filters.BooleanFilter(label=_("24×7"))

    class Meta:
        model = BusinessCalendar
        fields = []


class PolicyFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AgreementKind.choices)
    is_active = django_filters.BooleanFilter(label=pgettext_lazy("record is in use", "Active"))
    desk = django_filters.ModelChoiceFilter(label=_("Desk"), queryset=Desk.objects.all())
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())

    class Meta:
        model = SlaPolicy
        fields = []
