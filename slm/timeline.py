"""SLA events on a ticket's timeline, told as sentences an agent can repeat to the caller.

The engine (:mod:`slm.services`) stores what happened as structured data on each ``sla``
timeline entry: the event, the metric, the agreement kind, the policy, the target in seconds
and, for newer rows, the calendar, whether the target counts business time, the warning
percentage and a reason. This module turns that data into a sentence when the page is shown,
in the viewer's language::

    Resolution target 65 business hours (IT standard, Stockholm office 05:00–18:00) started.
    First response target met after 1 h 20 min.
    Resolution target warning: 75 % of 8 business hours used.

Rows written before a key existed still render (with less detail). An event this module does not
know returns None, and the page shows the entry's stored text. Registered for
``TimelineKind.SLA`` in ``SlmConfig.ready`` through :mod:`core.timeline`, so that the incident
pages need not know anything about timers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.choices import TimelineKind
from core.timeline import register_renderer
from incidents.choices import HoldReason
from slm.choices import AgreementKind, Metric

# Why a timer was cancelled (``data["reason"]`` of a ``cancelled`` event).
CANCELLED_INCIDENT_CANCELLED = "incident_cancelled"
CANCELLED_INCIDENT_CLOSED = "incident_closed"
CANCELLED_NO_POLICY = "no_policy"
CANCELLED_NO_TARGET = "no_target"
CANCELLED_POLICY_CHANGED = "policy_changed"


def _subject(kind: str, metric: str) -> str:
    """The timer as the subject of a sentence ("Resolution target")."""
    if kind == AgreementKind.OLA:
        return {
            Metric.RESPONSE: _("OLA response target"),
            Metric.RESOLUTION: _("OLA resolution target"),
            Metric.UPDATE: _("OLA update target"),
        }[metric]
    return {
        Metric.RESPONSE: _("First response target"),
        Metric.RESOLUTION: _("Resolution target"),
        Metric.UPDATE: _("Update target"),
    }[metric]


def format_duration(seconds: float) -> str:
    """Elapsed time for people: "45 min", "3 h 05 min", "39 h" (never days, see slm.services)."""
    from slm.services import format_duration as fmt

    return str(fmt(seconds))


def format_target(seconds: float, business: bool | None) -> str:
    """A target: "65 business hours", "30 business minutes", "4 hours"; "65 h" when unknown.

    ``business`` says whether the timer counts on a calendar with opening hours (not 24×7); rows
    written before it was stored give None and get the neutral unit.
    """
    seconds = int(abs(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if business is None or (hours and minutes):
        text = format_duration(seconds)
        return _("%(duration)s of business time") % {"duration": text} if business else text
    if business:
        if hours:
            return ngettext("%(n)d business hour", "%(n)d business hours", hours) % {"n": hours}
        return ngettext("%(n)d business minute", "%(n)d business minutes", minutes) % {"n": minutes}
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _started(data: Mapping, words: dict) -> str:
    if data.get("calendar"):
        return _("%(subject)s %(target)s (%(policy)s, %(calendar)s) started.") % {
            **words,
            "calendar": data["calendar"],
        }
    return _("%(subject)s %(target)s (%(policy)s) started.") % words


def _met(data: Mapping, words: dict) -> str:
    return _("%(subject)s met after %(elapsed)s.") % words


def _missed(data: Mapping, words: dict) -> str:
    return _("%(subject)s missed: %(elapsed)s used of %(target)s.") % words


def _warning(data: Mapping, words: dict) -> str:
    percent = data.get("warn_percent")
    if isinstance(percent, int | float):
        return _("%(subject)s warning: %(percent)s %% of %(target)s used.") % {**words, "percent": percent}
    return _("%(subject)s warning: most of %(target)s used.") % words


def _breach(data: Mapping, words: dict) -> str:
    return _("%(subject)s breached: %(target)s used up.") % words


def _paused(data: Mapping, words: dict) -> str:
    reason = data.get("reason")
    if reason in HoldReason.values:
        return _("%(subject)s paused (on hold: %(reason)s).") % {
            **words,
            "reason": _lower_first(str(HoldReason(reason).label)),
        }
    return _("%(subject)s paused.") % words


def _unpaused(data: Mapping, words: dict) -> str:
    return _("%(subject)s resumed.") % words


def _resumed(data: Mapping, words: dict) -> str:
    # The engine's "resumed" event is a reopened incident (the resolved span counts as a pause).
    return _("%(subject)s resumed: the incident was reopened.") % words


def _cancelled(data: Mapping, words: dict) -> str:
    reason = {
        CANCELLED_INCIDENT_CANCELLED: lambda: _("%(subject)s cancelled: the incident was cancelled."),
        CANCELLED_INCIDENT_CLOSED: lambda: _("%(subject)s cancelled: the incident was closed."),
        CANCELLED_NO_POLICY: lambda: _("%(subject)s cancelled: no service level applies any more."),
        CANCELLED_NO_TARGET: lambda: _("%(subject)s cancelled: the service level has no such target."),
        CANCELLED_POLICY_CHANGED: lambda: _("%(subject)s cancelled: the service level was changed."),
    }.get(data.get("reason"), lambda: _("%(subject)s cancelled."))
    return reason() % words


def _retargeted(data: Mapping, words: dict) -> str:
    if isinstance(data.get("old_target_seconds"), int | float):
        return _(
            "%(subject)s changed from %(old)s (%(old_policy)s) to %(target)s (%(policy)s); "
            "time used so far is kept."
        ) % {
            **words,
            "old": format_target(data["old_target_seconds"], data.get("old_business", words["business"])),
            "old_policy": data.get("old_policy") or words["policy"],
        }
    return _("%(subject)s changed to %(target)s (%(policy)s); time used so far is kept.") % words


def _breach_reason(data: Mapping, words: dict) -> str | None:
    if not data.get("reason"):
        return None  # older rows kept the reason in their text only
    return _("%(subject)s missed, reason given: %(reason)s") % {**words, "reason": data["reason"]}


SENTENCES: dict[str, Callable[[Mapping, dict], str | None]] = {
    "started": _started,
    "met": _met,
    "missed": _missed,
    "warning": _warning,
    "breach": _breach,
    "paused": _paused,
    "unpaused": _unpaused,
    "resumed": _resumed,
    "cancelled": _cancelled,
    "retargeted": _retargeted,
    "breach_reason": _breach_reason,
}


def sentence(entry) -> str | None:
    """The sentence for one ``sla`` timeline entry, or None to show its stored text."""
    data = entry.data if isinstance(entry.data, Mapping) else {}
    build = SENTENCES.get(data.get("event"))
    metric = data.get("metric")
    if build is None or metric not in Metric.values:
        return None
    kind = data.get("kind") if data.get("kind") in AgreementKind.values else AgreementKind.SLA
    business = data.get("business")
    business = business if isinstance(business, bool) else None
    target = data.get("target_seconds")
    elapsed = data.get("elapsed_seconds")
    words = {
        "subject": _subject(kind, metric),
        "policy": data.get("policy") or "—",
        "business": business,
        "target": format_target(target, business) if isinstance(target, int | float) else "—",
        "elapsed": format_duration(elapsed) if isinstance(elapsed, int | float) else "—",
    }
    return build(data, words)


def register() -> None:
    register_renderer(TimelineKind.SLA, sentence)
