"""Template helpers of the change pages: conflict sentences and badges."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from changes.choices import ConflictKind
from changes.conflicts import Conflict
from core.dates import format_datetime, format_time

register = template.Library()


def _local(value) -> str:
    return format_datetime(value)


def describe_conflict(conflict: Conflict | dict) -> str:
    """One translated sentence for a conflict, times in the active time zone."""
    if isinstance(conflict, dict):
        from datetime import datetime

        conflict = Conflict(
            **{
                **{k: v for k, v in conflict.items() if k not in ("start", "end")},
                "start": datetime.fromisoformat(conflict["start"]),
                "end": datetime.fromisoformat(conflict["end"]),
            }
        )
    params = {
        "start": _local(conflict.start),
        "end": _local(conflict.end),
        "freeze": conflict.freeze_name,
        "service": conflict.service_name,
        "change": conflict.change_number,
        "ci": conflict.ci,
    }
    if conflict.kind == ConflictKind.FREEZE:
        if conflict.blocking:
            return _("In the freeze window “%(freeze)s” (%(start)s – %(end)s): blocked.") % params
        return _("In the freeze window “%(freeze)s” (%(start)s – %(end)s).") % params
    if conflict.kind == ConflictKind.OUTSIDE_MAINTENANCE:
        return _("Outside the maintenance windows of %(service)s.") % params
    if conflict.kind == ConflictKind.OVERLAP_SERVICE:
        return _("Overlaps %(change)s on the service %(service)s (%(start)s – %(end)s).") % params
    return _("Overlaps %(change)s on the configuration item %(ci)s (%(start)s – %(end)s).") % params


@register.filter
def conflict_text(conflict) -> str:
    return describe_conflict(conflict)


@register.filter
def conflicts_title(conflicts) -> str:
    return " ".join(describe_conflict(c) for c in conflicts)


_RISK_CLASS = {"low": "badge-ok", "medium": "badge-warn", "high": "badge-bad"}


@register.simple_tag
def risk_class(risk: str) -> str:
    return _RISK_CLASS.get(risk or "", "badge-muted")


@register.filter
def local_hm(value) -> str:
    return format_time(value)


@register.filter
def state_label(value: str) -> str:
    from changes.choices import ChangeState

    try:
        return str(ChangeState(value).label)
    except ValueError:
        return value
