from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("Changes")
    agent_nav = [
        (_("Changes"), "changes:queue", None),
        (_("Change calendar"), "changes:calendar", None),
        (_("CAB"), "changes:cab", None),
    ]
