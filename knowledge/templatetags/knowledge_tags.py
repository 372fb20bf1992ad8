"""Template helpers of the knowledge pages."""

from __future__ import annotations

import uuid

from django import template

register = template.Library()

STATE_BADGES = {
    "draft": "badge-muted",
    "review": "badge-warn",
    "published": "badge-ok",
    "retired": "badge-bad",
}


@register.simple_tag
def kb_visit_id() -> str:
    """A fresh id for one visit of a form with a suggestion box (ties its article openings together)."""
    return uuid.uuid4().hex


@register.filter
def kb_state_class(state: str) -> str:
    return STATE_BADGES.get(state, "badge-state")


@register.simple_tag(takes_context=True)
def kb_is_manager(context) -> bool:
    """Is the signed-in user a knowledge manager (reviewer)?"""
    from core.roles import KNOWLEDGE_MANAGER, has_role

    request = context.get("request")
    return bool(request and has_role(request.user, KNOWLEDGE_MANAGER))
