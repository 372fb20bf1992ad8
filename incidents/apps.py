from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")
    agent_nav = [(_("Incidents"), "incidents:agent-queue", None)]
    portal_nav = [
        (_("Report an incident"), "incidents:portal-report", None),
        (_("My tickets"), "incidents:portal-list", None),
    ]

    def ready(self) -> None:
        from incidents.major_setup import setup_major_incidents

        setup_major_incidents(self)
