"""Who conducts a major incident (issue 12): pure rules, no I/O.

Any agent may propose a major incident, comment on it (work notes), follow it (add themselves or
a support group as stakeholders) and acknowledge a page. The communication and the resolution
belong to the incident manager role or the major incident's owner: status updates (they reach
end users, callers of child incidents and external stakeholders), external e-mail stakeholders
(they receive stakeholder-only updates outside the company) and resolving the major incident
with its children.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

CONDUCT_ACTIONS = ("status_update", "external_stakeholder", "resolve")


def conduct_error(action: str, *, is_agent: bool, is_manager: bool, is_owner: bool) -> str | None:
    """Why the user may not do ``action`` on a major incident (None when they may)."""
    if action not in CONDUCT_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if is_agent and (is_manager or is_owner):
        return None
    messages = {
        "status_update": _(
            "Only an incident manager or the owner of this major incident can post status updates."
        ),
        "external_stakeholder": _(
            "Only an incident manager or the owner of this major incident can add or remove e-mail "
            "stakeholders."
        ),
        "resolve": _("Only an incident manager or the owner of this major incident can resolve it."),
    }
    return str(messages[action])
