"""Strict filtering and ordering for API lists: an unknown parameter is a 400, never ignored.

django-filter and DRF's OrderingFilter silently ignore what they do not know, so a typo
(``?stat=new``) returns the unfiltered list, which a client cannot tell from a real answer.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

# Query parameters that are not filters: pagination, ordering and the renderer choice.
RESERVED_PARAMS = frozenset({"cursor", "page_size", "ordering", "format"})


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """django-filter on list views only, answering 400 for unknown or forbidden parameters.

    A view may restrict filters per user with ``get_forbidden_filters(request) -> set[str]``.
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") != "list":
            return queryset  # detail views and actions look objects up by their key only
        if not set(request.query_params) - RESERVED_PARAMS:
            return queryset  # nothing to filter: skip building the FilterSet and its form
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        known = set(filterset.filters) | RESERVED_PARAMS
        errors = {
            name: [gettext("Unknown filter parameter.")] for name in request.query_params if name not in known
        }
        forbidden = view.get_forbidden_filters(request) if hasattr(view, "get_forbidden_filters") else set()
        for name in request.query_params:
            if name in forbidden:
                errors[name] = [gettext("This filter is not available to you.")]
        if errors:
            raise ValidationError(dict(sorted(errors.items())))
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=-priority,updated_at`` over ``view.ordering_fields``; unknown fields are a 400.

    The primary key is appended as a tie-breaker so that pages never overlap or skip rows.
    """

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        fields = [part.strip() for part in raw.split(",") if part.strip()]
        allowed = list(view.ordering_fields)
        unknown = [field for field in fields if field.lstrip("-") not in allowed]
        if unknown or not fields:
            raise ValidationError(
                {
                    self.ordering_param: [
                        gettext("Cannot order by %(fields)s. Allowed: %(allowed)s.")
                        % {"fields": ", ".join(unknown) or "''", "allowed": ", ".join(allowed)}
                    ]
                }
            )
        if not any(field.lstrip("-") in ("id", "pk") for field in fields):
            fields.append("-id")
        return fields
