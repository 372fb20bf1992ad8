"""Pure rules of incident management: the priority matrix and the state transition table.

No I/O here: the same table is enforced by the service functions that the UI, the API, e-mail
and admin actions all call.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from incidents.choices import HoldReason, State

# impact (1 high .. 3 low) x urgency (1 .. 3) -> priority 1..5 (DESIGN.md default).
DEFAULT_PRIORITY_MATRIX: dict[tuple[int, int], int] = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


def priority_for(impact: int, urgency: int, matrix: Mapping[tuple[int, int], int] | None = None) -> int:
    """Priority from impact and urgency; ``matrix`` overrides cells of the default."""
    if impact not in (1, 2, 3):
        raise ValueError(f"impact must be 1, 2 or 3, not {impact!r}")
    if urgency not in (1, 2, 3):
        raise ValueError(f"urgency must be 1, 2 or 3, not {urgency!r}")
    if matrix and (impact, urgency) in matrix:
        return matrix[(impact, urgency)]
    return DEFAULT_PRIORITY_MATRIX[(impact, urgency)]


# from-state -> {to-state: fields the transition requires}
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    State.NEW: {
        State.IN_PROGRESS: (),
        State.ON_HOLD: ("hold_reason",),
        State.RESOLVED: ("resolution_code", "resolution_notes"),
        State.CANCELLED: ("resolution_notes",),
    },
    State.IN_PROGRESS: {
        State.ON_HOLD: ("hold_reason",),
        State.RESOLVED: ("resolution_code", "resolution_notes"),
        State.CANCELLED: ("resolution_notes",),
    },
    State.ON_HOLD: {
        State.IN_PROGRESS: (),
        State.RESOLVED: ("resolution_code", "resolution_notes"),
        State.CANCELLED: ("resolution_notes",),
    },
    State.RESOLVED: {
        State.CLOSED: (),
        State.IN_PROGRESS: (),  # reopen
    },
    State.CLOSED: {},
    State.CANCELLED: {},
}

FIELD_LABELS = {
    "hold_reason": _("Hold reason"),
    "resolution_code": _("Resolution code"),
    "resolution_notes": _("Resolution notes"),
}


def allowed_transitions(state: str) -> list[str]:
    return list(TRANSITIONS.get(state, {}))


def transition_errors(current: str, target: str, values: Mapping[str, object]) -> dict[str, str]:
    """Errors keyed by field name (``state`` for a forbidden move); empty when allowed."""
    if target not in TRANSITIONS:
        return {"state": str(_("Unknown state “%(state)s”.") % {"state": target})}
    allowed = TRANSITIONS.get(current, {})
    if target not in allowed:
        names = ", ".join(allowed) or str(_("none"))
        return {
            "state": str(
                _("Cannot move from “%(current)s” to “%(target)s”. Allowed: %(allowed)s.")
                % {"current": current, "target": target, "allowed": names}
            )
        }
    errors = {}
    for field in allowed[target]:
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = str(_("%(field)s is required for this change.") % {"field": FIELD_LABELS[field]})
    if (
        target == State.ON_HOLD
        and values.get("hold_reason")
        and values["hold_reason"] not in HoldReason.values
    ):
        errors["hold_reason"] = str(_("Unknown hold reason."))
    return errors
