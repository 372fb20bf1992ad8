"""Roles are Django groups with permissions. ``ensure_roles`` creates them after every migrate.

Agents are the users holding any agent role; everyone else who signs in is an end user and only
reaches the self-service portal.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

AGENT = "Agent"
INCIDENT_MANAGER = "Incident manager"
CHANGE_MANAGER = "Change manager"
SERVICE_LEVEL_MANAGER = "Service level manager"
KNOWLEDGE_MANAGER = "Knowledge manager"
PROBLEM_MANAGER = "Problem manager"
ADMINISTRATOR = "Administrator"

AGENT_ROLES = (
    AGENT,
    INCIDENT_MANAGER,
    CHANGE_MANAGER,
    SERVICE_LEVEL_MANAGER,
    KNOWLEDGE_MANAGER,
    PROBLEM_MANAGER,
    ADMINISTRATOR,
)

_AGENT_WORK = [
    "incidents.*",
    "problems.*",
    "changes.view_*",
    "changes.add_changerequest",
    "changes.change_changerequest",
    "knowledge.view_*",
    "knowledge.add_article",
    "knowledge.change_article",
    "slm.view_*",
    "core.view_*",
]

# Permission patterns per role: "app.codename", "app.*" (all of an app), "app.view_*" (prefix).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _AGENT_WORK,
    INCIDENT_MANAGER: [*_AGENT_WORK],
    CHANGE_MANAGER: [*_AGENT_WORK, "changes.*"],
    SERVICE_LEVEL_MANAGER: [*_AGENT_WORK, "slm.*"],
    KNOWLEDGE_MANAGER: [*_AGENT_WORK, "knowledge.*"],
    PROBLEM_MANAGER: [*_AGENT_WORK, "problems.*"],
    ADMINISTRATOR: ["*"],
}


def _permission_query(pattern: str) -> Q:
    if pattern == "*":
        return Q()
    app, codename = pattern.split(".", 1)
    if codename == "*":
        return Q(content_type__app_label=app)
    if codename.endswith("*"):
        return Q(content_type__app_label=app, codename__startswith=codename[:-1])
    return Q(content_type__app_label=app, codename=codename)


def ensure_roles(**_kwargs) -> None:
    """Create the role groups and (re)grant their permissions; idempotent."""
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for pattern in patterns:
            query |= _permission_query(pattern)
        group.permissions.add(*Permission.objects.filter(query))


def role_names(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_itsm_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._itsm_roles = cached
    return cached


def has_role(user, role: str) -> bool:
    return bool(getattr(user, "is_superuser", False)) or role in role_names(user)


def is_agent(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or bool(role_names(user) & set(AGENT_ROLES))
