"""Template helpers of the incident pages: ages, and timeline entries rendered readably."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from incidents.choices import (
    ContactChannel,
    HoldReason,
    Impact,
    MajorState,
    Priority,
    ResolutionCode,
    State,
    Urgency,
)
from incidents.models import Incident

register = template.Library()

CHOICES = {
    "state": State,
    "impact": Impact,
    "urgency": Urgency,
    "priority": Priority,
    "contact_channel": ContactChannel,
    "channel": ContactChannel,
    "hold_reason": HoldReason,
    "resolution_code": ResolutionCode,
    "major_state": MajorState,
}

EXTRA_LABELS = {
    "channel": lambda: _("Contact channel"),
    "routed_to": lambda: _("Routed to"),
    "functional_escalation": lambda: _("Functional escalation"),
    "hierarchical": lambda: _("Hierarchical escalation"),
    "child": lambda: _("Child incident"),
    "score": lambda: _("Rating"),
    "major": lambda: _("Major incident"),
}

# Keys that are bookkeeping, not something to show a reader.
HIDDEN_KEYS = {"attachment", "filename", "size"}


@register.filter
def age(value) -> str:
    """ "3 days", "5 hours": how long ago, to one unit."""
    if not value:
        return ""
    return timesince(value, timezone.now(), depth=1)


def field_label(name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name]())
    try:
        field = Incident._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    # Reverse relations (e.g. "major", the OneToOneRel of MajorIncident) have no verbose name.
    label = getattr(field, "verbose_name", None)
    if label is None:
        return name.replace("_", " ").capitalize()
    return str(label).capitalize()


def display_value(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    choices = CHOICES.get(name)
    if choices is not None:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)
    return str(value)


@dataclass
class Change:
    label: str
    old: str | None
    new: str
    is_change: bool


@register.filter
def changes(entry) -> list[Change]:
    """The structured data of a timeline entry as readable "label: old → new" lines."""
    data = entry.data or {}
    lines = []
    for name, value in data.items():
        if name in HIDDEN_KEYS or value is None:
            continue
        if isinstance(value, bool) and not value:
            continue
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            if old == new:
                continue
            lines.append(Change(field_label(name), display_value(name, old), display_value(name, new), True))
        elif isinstance(value, bool):
            lines.append(Change(field_label(name), None, "", False))
        else:
            if name == "score":
                value = f"{value}/5"
            lines.append(Change(field_label(name), None, display_value(name, value), False))
    return lines


@register.filter
def filesize(value) -> str:
    return filesizeformat(value or 0)


@register.filter
def priority_label(value) -> str:
    try:
        return str(Priority(int(value)).label)
    except (TypeError, ValueError):
        return ""
