from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problems")
    agent_nav = [(_("Problems"), "problems:queue", None)]

    def ready(self) -> None:
        from problems import panels
        from problems.roles import ensure_problem_manager_role

        post_migrate.connect(ensure_problem_manager_role, dispatch_uid="problems.ensure_problem_manager_role")
        panels.register()
