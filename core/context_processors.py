from django.conf import settings

from core.navigation import entries_for
from core.roles import is_agent


def navigation(request):
    """The signed-in user's menus for the agent and portal layouts."""
    user = getattr(request, "user", None)
    agent = is_agent(user) if user is not None else False
    path = request.path
    return {
        "user_is_agent": agent,
        "LANGUAGES": settings.LANGUAGES,
        "agent_nav": entries_for("agent", user, path) if agent else [],
        "portal_nav": entries_for("portal", user, path) if user is not None and user.is_authenticated else [],
    }
