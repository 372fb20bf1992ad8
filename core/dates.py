"""The one way the product shows a date or a date-time to a person.

English: "8 Dec 2026, 14:05" / "8 Dec 2026"; Swedish: "2026-12-08 14:05" / "2026-12-08" (the
format modules in ``itsm/formats``). Pages use the ``when`` and ``day`` template filters (built in,
no ``{% load %}`` needed), e-mails too: notification payloads carry ISO 8601 text with the
recipient's UTC offset, and the template formats it in the recipient's language at delivery.
Machine-readable output (CSV exports, the API, ``<time datetime>``) uses ISO 8601 via ``iso``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import format as dateformat
from django.utils.formats import get_format

Zone = dt.tzinfo | str | None


def _zone(zone: Zone) -> dt.tzinfo | None:
    if isinstance(zone, str):
        try:
            return ZoneInfo(zone) if zone else None
        except (ValueError, KeyError):
            return None
    return zone


def _parse(value) -> dt.date | dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return None
    return value


def _local(value: dt.datetime, zone: Zone, keep_offset: bool) -> dt.datetime:
    tz = _zone(zone)
    if timezone.is_naive(value):
        return value
    if tz is not None:
        return value.astimezone(tz)
    if keep_offset:  # ISO text from a payload: already in the zone its sender chose
        return value
    return timezone.localtime(value)


def format_datetime(value, zone: Zone = None) -> str:
    """A date-time in the active language's one format, in ``zone`` (default: the active zone).

    Accepts a datetime, a date (shown as a date) or ISO 8601 text; anything else unchanged.
    """
    parsed = _parse(value)
    if parsed is None:
        return "" if value in (None, "") else str(value)
    if not isinstance(parsed, dt.datetime):
        return format_date(parsed)
    return dateformat(_local(parsed, zone, isinstance(value, str)), get_format("DATETIME_FORMAT"))


def format_date(value, zone: Zone = None) -> str:
    """A calendar date in the active language's one format (a datetime is first put in ``zone``)."""
    parsed = _parse(value)
    if parsed is None:
        return "" if value in (None, "") else str(value)
    if isinstance(parsed, dt.datetime):
        parsed = _local(parsed, zone, isinstance(value, str))
    return dateformat(parsed, get_format("DATE_FORMAT"))


def format_time(value, zone: Zone = None) -> str:
    parsed = _parse(value)
    if not isinstance(parsed, dt.datetime):
        return "" if value in (None, "") else str(value)
    return dateformat(_local(parsed, zone, isinstance(value, str)), get_format("TIME_FORMAT"))


def iso(value, zone: Zone = None) -> str:
    """ISO 8601 for machines (payloads, CSV): ``2026-12-08T14:05:00+01:00``; minutes precision."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        tz = _zone(zone)
        if tz is not None and timezone.is_aware(value):
            value = value.astimezone(tz)
        return value.replace(second=0, microsecond=0).isoformat()
    return value.isoformat()
