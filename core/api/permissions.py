from rest_framework.permissions import BasePermission

from core.roles import has_role, is_agent


class IsAgent(BasePermission):
    """Agents only; end users' tokens get 403 on agent-only endpoints."""

    def has_permission(self, request, view) -> bool:
        return is_agent(request.user)


def role_required(role: str) -> type[BasePermission]:
    class HasRole(BasePermission):
        def has_permission(self, request, view) -> bool:
            return has_role(request.user, role)

    HasRole.__name__ = f"HasRole_{role.replace(' ', '')}"
    return HasRole
