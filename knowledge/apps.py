from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge")
    agent_nav = [(_("Knowledge"), "kb-agent-list", None)]
    portal_nav = [(_("Knowledge base"), "kb-portal-home", None)]
