from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Organisation")
    agent_nav = [(_("Home"), "agent-home", None)]
    portal_nav = [(_("Home"), "portal-home", None)]

    def ready(self) -> None:
        from core.roles import ensure_roles

        # Not bound to one sender: permissions of later apps exist only after their own
        # post_migrate, so the grant runs after each app (it is idempotent and cheap).
        post_migrate.connect(ensure_roles, dispatch_uid="core.ensure_roles")

        from core.validators import refuse_oversized_text

        pre_save.connect(refuse_oversized_text, dispatch_uid="core.refuse_oversized_text")
