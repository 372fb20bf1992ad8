"""The article FilterSet shared by the agent list and the API list."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Category
from core.roles import AGENT_ROLES
from knowledge.choices import ArticleLanguage, ArticleState, Audience
from knowledge.models import Article, Tag
from knowledge.search import filter_articles
from slm.models import Service


def _agents():
    return get_user_model().objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct()


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Text"))
    state = django_filters.MultipleChoiceFilter(choices=ArticleState.choices, label=_("State"))
    audience = django_filters.ChoiceFilter(choices=Audience.choices, label=_("Audience"))
    language = django_filters.ChoiceFilter(choices=ArticleLanguage.choices, label=_("Language"))
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.filter(is_active=True), method="filter_category", label=_("Category")
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.filter(is_active=True),
        field_name="services",
        method="filter_service",
        label=_("Service"),
    )
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    owner = django_filters.ModelChoiceFilter(queryset=_agents(), label=_("Owner"))
    author = django_filters.ModelChoiceFilter(queryset=_agents(), label=_("Author"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Written or owned by me"))
    due_for_review = django_filters.BooleanFilter(method="filter_due", label=_("Due for review"))
    has_revision = django_filters.BooleanFilter(
        field_name="revision", lookup_expr="isnull", exclude=True, label=_("Has an open revision")
    )

    class Meta:
        model = Article
        fields = ["state", "audience", "language", "category", "service", "tag", "owner", "author"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("KB") and value[2:].isdigit():
            return queryset.filter(number__iexact=value)
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))

    def filter_category(self, queryset, name, value):
        return filter_articles(queryset, category=value)

    def filter_service(self, queryset, name, value):
        return filter_articles(queryset, service=value)

    def filter_tag(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        tag = Tag.objects.filter(Q(slug=value) | Q(name__iexact=value)).first()
        return filter_articles(queryset, tag=tag) if tag else queryset.none()

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        mine = Q(author=user) | Q(owner=user)
        return queryset.filter(mine) if value else queryset.exclude(mine)

    def filter_due(self, queryset, name, value):
        if value is None:
            return queryset
        due = Q(state=ArticleState.PUBLISHED, review_by__lte=timezone.localdate())
        return queryset.filter(due) if value else queryset.exclude(due)
