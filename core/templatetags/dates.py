"""``{{ value|when }}``, ``{{ value|when:zone }}``, ``{{ value|day }}`` and ``{{ value|clock }}``.

Registered as a template builtin (settings.TEMPLATES), so every page and e-mail template can use
them without ``{% load %}``; see ``core.dates`` for the formats.
"""

from django import template

from core import dates

register = template.Library()


@register.filter(expects_localtime=False, is_safe=False)
def when(value, zone=None) -> str:
    return dates.format_datetime(value, zone)


@register.filter(expects_localtime=False, is_safe=False)
def day(value, zone=None) -> str:
    return dates.format_date(value, zone)


@register.filter(expects_localtime=False, is_safe=False)
def clock(value, zone=None) -> str:
    return dates.format_time(value, zone)
