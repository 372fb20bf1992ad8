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


@register.filter
def sla_views(incident):
    """The incident's counting SLA timers as views (remaining time, colour), soonest first.

    Uses the prefetched ``sla_timers`` (``slm.services.timers_prefetch(active_only=True)``):
    no query per row in a queue.
    """
    from django.utils import timezone

    from slm import services

    now = timezone.now()
    views = [
        services.view(t, now) for t in services.current_timers(incident.sla_timers.all()) if t.kind == "sla"
    ]
    return sorted(views, key=lambda v: (v.timer.is_paused, v.remaining_seconds))
