from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge")
    agent_nav = [(_("Knowledge"), "kb-agent-list", None)]
    portal_nav = [(_("Knowledge base"), "kb-portal-home", None)]

    def ready(self) -> None:
        from core.panels import register_panel
        from incidents.signals import incident_event
        from knowledge import panels, signals

        incident_event.connect(signals.on_incident_event, dispatch_uid="knowledge.incident_event")
        register_panel(
            "incident-agent-side",
            "knowledge",
            template="agent/knowledge/_incident_panel.html",
            context=panels.incident_panel,
            order=30,
        )
        # The incidents portal report form renders this slot right after its short description.
        register_panel(
            "incident-report-form",
            "knowledge-suggestions",
            template="portal/knowledge/_report_form_panel.html",
            context=panels.report_form,
            order=10,
        )
        register_panel(
            "agent-home",
            "knowledge",
            template="agent/knowledge/_home_panel.html",
            context=panels.agent_home,
            order=40,
        )
