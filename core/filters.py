"""Filter fields shared by every FilterSet (agent lists and API lists alike)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField as BaseIsoDateTimeField

# PostgreSQL accepts UTC offsets up to ±15:59; Python's up to ±23:59 (the gap was a 500).
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


def validate_utc_offset(value) -> None:
    offset = value.utcoffset() if value is not None else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise forms.ValidationError(
            _("The UTC offset must be between -15:59 and +15:59."), code="utc_offset_out_of_range"
        )


class IsoDateTimeField(BaseIsoDateTimeField):
    """ISO 8601 date-time; an offset PostgreSQL cannot store is an error on the field."""

    default_validators = [validate_utc_offset]


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = IsoDateTimeField
