from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problems")
    agent_nav = [(_("Problems"), "problems:queue", None)]

    def ready(self) -> None:
        from problems import panels

        panels.register()
