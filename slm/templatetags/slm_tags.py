from django import template

from slm.services import format_duration

register = template.Library()


@register.filter
def business_duration(seconds) -> str:
    """Seconds of business time as "3 h 05 min"; empty for None."""
    if seconds is None or seconds == "":
        return ""
    return format_duration(float(seconds))


@register.filter
def absolute(value):
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def delta(current, previous) -> str:
    """ "+3" / "−2" / "±0" for trend columns; empty when either side is unknown."""
    if current is None or previous is None:
        return ""
    diff = current - previous
    if isinstance(diff, float):
        diff = round(diff, 1)
    if diff > 0:
        return f"+{diff}"
    if diff < 0:
        return f"−{abs(diff)}"
    return "±0"


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
