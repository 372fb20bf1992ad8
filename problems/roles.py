"""The problem manager role: who may re-analyze a closed problem (DOMAIN.md §4, "roles set by
property"). It is an extra role on top of Agent, created after every migrate like the core roles.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from core.roles import ADMINISTRATOR, has_role

PROBLEM_MANAGER = "Problem manager"


def is_problem_manager(user) -> bool:
    """Problem managers and administrators (superusers pass every role check)."""
    return has_role(user, PROBLEM_MANAGER) or has_role(user, ADMINISTRATOR)


def ensure_problem_manager_role(**_kwargs) -> None:
    """Create the role and grant it the problems app's permissions; idempotent."""
    group, _created = Group.objects.get_or_create(name=PROBLEM_MANAGER)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="problems"))
