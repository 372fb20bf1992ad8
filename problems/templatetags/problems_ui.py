"""Template helpers of the problem pages: readable timeline lines."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from problems.choices import ResolutionCode, State, TaskCloseCode, TaskState

register = template.Library()

FIELD_NAMES = {
    "short_description": gettext_lazy("short description"),
    "description": gettext_lazy("description"),
    "service": gettext_lazy("service"),
    "category": gettext_lazy("category"),
    "configuration_item": gettext_lazy("configuration item"),
    "impact": gettext_lazy("impact"),
    "urgency": gettext_lazy("urgency"),
    "priority": gettext_lazy("priority"),
    "root_cause": gettext_lazy("root cause"),
    "workaround": gettext_lazy("workaround"),
    "fix_description": gettext_lazy("fix description"),
    "symptoms": gettext_lazy("symptoms"),
}


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def _numbers(values) -> str:
    return ", ".join(values or [])


@register.simple_tag
def describe_entry(entry) -> str:
    """One line saying what a problem timeline entry records (the body is shown separately)."""
    data = entry.data or {}
    task = data.get("task")
    kind = entry.kind
    if task:
        if kind == "created":
            return _("Task %(task)s added.") % {"task": task}
        if kind == "assignment":
            return _("Task %(task)s assigned to %(who)s.") % {
                "task": task,
                "who": (data.get("assigned_to") or [None, None])[1]
                or (data.get("assignment_group") or [None, "—"])[1],
            }
        if kind == "state_change":
            old, new = data.get("state", ["", ""])
            text = _("Task %(task)s: %(old)s → %(new)s.") % {
                "task": task,
                "old": _label(TaskState, old),
                "new": _label(TaskState, new),
            }
            if data.get("close_code"):
                text += f" ({_label(TaskCloseCode, data['close_code'])})"
            return text
    if kind == "created":
        if data.get("candidate"):
            return _("Problem opened from a detected trend.")
        return _("Problem opened.")
    if kind == "state_change":
        old, new = data.get("state", ["", ""])
        text = _("State: %(old)s → %(new)s.") % {"old": _label(State, old), "new": _label(State, new)}
        if data.get("resolution_code"):
            text += " " + _("Resolution: %(code)s.") % {
                "code": _label(ResolutionCode, data["resolution_code"])
            }
        if data.get("tasks_cancelled"):
            text += " " + _("Tasks cancelled: %(tasks)s.") % {"tasks": _numbers(data["tasks_cancelled"])}
        if data.get("incidents_resumed"):
            text += " " + _("Back in progress: %(incidents)s.") % {
                "incidents": _numbers(data["incidents_resumed"])
            }
        return text
    if kind == "field_change":
        names = [str(FIELD_NAMES.get(name, name)) for name in data]
        return _("Changed: %(fields)s.") % {"fields": ", ".join(names)}
    if kind == "assignment":
        group = (data.get("assignment_group") or [None, None])[1] or "—"
        who = (data.get("assigned_to") or [None, None])[1] or _("nobody")
        return _("Assigned to %(group)s · %(who)s.") % {"group": group, "who": who}
    if kind == "link":
        parts = []
        if data.get("linked"):
            parts.append(_("Incidents linked: %(incidents)s.") % {"incidents": _numbers(data["linked"])})
        if data.get("held"):
            parts.append(
                _("On hold awaiting the problem: %(incidents)s.") % {"incidents": _numbers(data["held"])}
            )
        if data.get("unlinked"):
            parts.append(_("Incidents unlinked: %(incidents)s.") % {"incidents": _numbers(data["unlinked"])})
        if data.get("incidents_resolved"):
            parts.append(
                _("Incidents resolved with the problem: %(incidents)s.")
                % {"incidents": _numbers(data["incidents_resolved"])}
            )
        if data.get("incidents_resumed"):
            parts.append(
                _("Back in progress: %(incidents)s.") % {"incidents": _numbers(data["incidents_resumed"])}
            )
        if data.get("workaround_sent_to"):
            parts.append(
                _("Workaround sent to the callers of %(incidents)s.")
                % {"incidents": _numbers(data["workaround_sent_to"])}
            )
        return " ".join(parts)
    if kind == "knowledge":
        first = data.get("known_error") == "marked"
        article = data.get("article")
        action = data.get("article_action")
        if article and action == "submitted":
            return _("Marked as a known error; article %(article)s is waiting for review.") % {
                "article": article
            }
        if article and action == "revision_submitted":
            return _("Known error updated; the new version of article %(article)s is waiting for review.") % {
                "article": article
            }
        if article and first:
            return _("Marked as a known error; article %(article)s published.") % {"article": article}
        if article:
            return _("Known error updated; article %(article)s updated.") % {"article": article}
        return _("Marked as a known error.") if first else _("Known error updated.")
    return ""
