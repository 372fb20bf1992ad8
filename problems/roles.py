"""The problem manager role: who may re-analyze a closed problem (DOMAIN.md §4, "roles set by
property"). The role itself is one of the agent roles in core.roles, created after every migrate.
"""

from __future__ import annotations

from core.roles import ADMINISTRATOR, PROBLEM_MANAGER, has_role

__all__ = ["PROBLEM_MANAGER", "is_problem_manager"]


def is_problem_manager(user) -> bool:
    """Problem managers and administrators (superusers pass every role check)."""
    return has_role(user, PROBLEM_MANAGER) or has_role(user, ADMINISTRATOR)
