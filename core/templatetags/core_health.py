"""Health of the background work, for the admin home page."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def late_periodic_tasks() -> list:
    """Periodic tasks that have not succeeded for three of their periods (see core.heartbeats)."""
    from core import heartbeats

    return heartbeats.stale()


@register.simple_tag
def sweep_failure_count() -> int:
    from core.models import SweepFailure

    return SweepFailure.objects.count()
