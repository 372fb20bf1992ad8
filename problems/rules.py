"""Pure rules of problem management: the state transition table and the task lifecycle.

No I/O here: the service functions that the agent UI, the API, admin actions and tasks all call
enforce these tables (ServiceNow's best-practice problem model, DOMAIN.md §4).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from problems.choices import ResolutionCode, State, TaskCloseCode, TaskState

# A requirement is a field name, or "a|b" when either of the fields is enough.
# from-state -> {to-state: requirements}
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    State.NEW: {
        State.ASSESS: (),
        State.CANCELLED: ("resolution_notes",),
    },
    State.ASSESS: {
        State.ROOT_CAUSE_ANALYSIS: (),  # confirmed: worth analysing
        State.RESOLVED: ("resolution_code", "fix_description"),  # duplicate / cancelled
        State.CANCELLED: ("resolution_notes",),
    },
    State.ROOT_CAUSE_ANALYSIS: {
        State.FIX_IN_PROGRESS: ("root_cause|workaround",),
        State.RESOLVED: ("resolution_code", "fix_description"),  # risk accepted, duplicate
        State.CANCELLED: ("resolution_notes",),
    },
    State.FIX_IN_PROGRESS: {
        State.RESOLVED: ("resolution_code", "fix_description"),
        State.ROOT_CAUSE_ANALYSIS: (),  # the fix did not hold: back to analysis
        State.CANCELLED: ("resolution_notes",),
    },
    State.RESOLVED: {
        State.CLOSED: (),  # complete
    },
    State.CLOSED: {
        State.ROOT_CAUSE_ANALYSIS: (),  # re-analyze (problem managers only)
    },
    State.CANCELLED: {},
}

# Transitions only a problem manager may take.
MANAGER_ONLY: frozenset[tuple[str, str]] = frozenset({(State.CLOSED, State.ROOT_CAUSE_ANALYSIS)})

# Which resolution codes make sense from which state: a fix can only be "applied" once the
# problem was in "fix in progress"; accepting a risk needs an analysis first.
RESOLUTION_CODES_FROM: dict[str, frozenset[str]] = {
    State.ASSESS: frozenset({ResolutionCode.DUPLICATE, ResolutionCode.CANCELLED}),
    State.ROOT_CAUSE_ANALYSIS: frozenset(
        {ResolutionCode.RISK_ACCEPTED, ResolutionCode.DUPLICATE, ResolutionCode.CANCELLED}
    ),
    State.FIX_IN_PROGRESS: frozenset(
        {ResolutionCode.FIX_APPLIED, ResolutionCode.RISK_ACCEPTED, ResolutionCode.CANCELLED}
    ),
}

FIELD_LABELS = {
    "resolution_code": _("Resolution code"),
    "fix_description": _("Fix description"),
    "resolution_notes": _("Reason"),
    "root_cause": _("Root cause"),
    "workaround": _("Workaround"),
}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def allowed_transitions(state: str, *, is_manager: bool = False) -> list[str]:
    """The states ``state`` may move to, for a problem manager or not, in table order."""
    return [
        target for target in TRANSITIONS.get(state, {}) if is_manager or (state, target) not in MANAGER_ONLY
    ]


def transition_errors(
    current: str, target: str, values: Mapping[str, object], *, is_manager: bool = False
) -> dict[str, str]:
    """Errors keyed by field name (``state`` for a forbidden move); empty when allowed.

    ``values`` holds the problem's fields as they will be after the move (the stored root cause
    and workaround, and the resolution code, fix description or reason given with the move).
    """
    if target not in TRANSITIONS:
        return {"state": str(_("Unknown state “%(state)s”.") % {"state": target})}
    allowed = TRANSITIONS.get(current, {})
    if target not in allowed:
        names = ", ".join(allowed_transitions(current, is_manager=is_manager)) or str(_("none"))
        return {
            "state": str(
                _("Cannot move a problem from “%(current)s” to “%(target)s”. Allowed: %(allowed)s.")
                % {"current": current, "target": target, "allowed": names}
            )
        }
    if (current, target) in MANAGER_ONLY and not is_manager:
        return {"state": str(_("Only a problem manager can re-analyze a closed problem."))}
    errors: dict[str, str] = {}
    for requirement in allowed[target]:
        names = requirement.split("|")
        if all(_blank(values.get(name)) for name in names):
            if len(names) == 1:
                errors[names[0]] = str(
                    _("%(field)s is required for this change.") % {"field": FIELD_LABELS[names[0]]}
                )
            else:
                labels = [str(FIELD_LABELS[name]) for name in names]
                message = str(
                    _("Document the %(first)s or the %(second)s first.")
                    % {"first": labels[0].lower(), "second": labels[1].lower()}
                )
                for name in names:
                    errors[name] = message
    code = values.get("resolution_code")
    if target == State.RESOLVED and not _blank(code):
        if code not in ResolutionCode.values:
            errors["resolution_code"] = str(_("Unknown resolution code."))
        elif code not in RESOLUTION_CODES_FROM.get(current, frozenset()):
            choices = ", ".join(sorted(RESOLUTION_CODES_FROM.get(current, ())))
            errors["resolution_code"] = str(
                _("“%(code)s” is not a possible resolution from “%(state)s”. Possible: %(choices)s.")
                % {"code": code, "state": current, "choices": choices}
            )
    return errors


# Problem tasks: open -> in progress -> closed (complete or cancelled); a closed task can be
# re-opened ("re-assess").
TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TaskState.OPEN: (TaskState.IN_PROGRESS, TaskState.CLOSED),
    TaskState.IN_PROGRESS: (TaskState.OPEN, TaskState.CLOSED),
    TaskState.CLOSED: (TaskState.OPEN,),
}


def task_transition_errors(current: str, target: str, close_code: str = "") -> dict[str, str]:
    if target not in TASK_TRANSITIONS:
        return {"state": str(_("Unknown state “%(state)s”.") % {"state": target})}
    if target not in TASK_TRANSITIONS.get(current, ()):
        return {
            "state": str(
                _("Cannot move a task from “%(current)s” to “%(target)s”.")
                % {"current": current, "target": target}
            )
        }
    if target == TaskState.CLOSED:
        if _blank(close_code):
            return {"close_code": str(_("Choose a close code (complete or cancelled)."))}
        if close_code not in TaskCloseCode.values:
            return {"close_code": str(_("Unknown close code."))}
    return {}


def age_bucket(days: int) -> str:
    """The "open problems by age" bucket of a problem opened ``days`` days ago."""
    if days < 7:
        return "lt7"
    if days < 30:
        return "lt30"
    if days < 90:
        return "lt90"
    return "gte90"


AGE_BUCKETS: tuple[tuple[str, object, int, int | None], ...] = (
    # key, label, from days (inclusive), to days (exclusive)
    ("lt7", _("Under a week"), 0, 7),
    ("lt30", _("1–4 weeks"), 7, 30),
    ("lt90", _("1–3 months"), 30, 90),
    ("gte90", _("Over 3 months"), 90, None),
)
