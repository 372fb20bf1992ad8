from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlmConfig(AppConfig):
    name = "slm"
    verbose_name = _("Service levels")
    agent_nav = [
        (_("Breaching soon"), "slm:breaching", None),
        (_("SLA reports"), "slm:reports", "Service level manager"),
    ]

    def ready(self) -> None:
        from incidents.signals import incident_event
        from slm import hooks, panels, services, timeline

        # The SLA engine reacts to every incident operation inside its transaction.
        incident_event.connect(services.on_incident_event, dispatch_uid="slm.on_incident_event")
        hooks.connect()
        panels.register()
        timeline.register()  # SLA entries on ticket timelines read as sentences
