"""Wiring of the major-incident procedure, called from ``IncidentsConfig.ready()``.

Registers the Celery tasks (not autodiscovered: they are not in ``incidents.tasks``), the admin,
the ``incident_event`` receiver that keeps the procedure in step with the incident's state, the
panels on other apps' pages and the agent navigation entry.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.panels import register_panel


def setup_major_incidents(config) -> None:
    from incidents import admin_major, major, major_tasks, views_major  # noqa: F401
    from incidents.signals import incident_event

    incident_event.connect(major.on_incident_event, dispatch_uid="incidents.major.on_incident_event")

    register_panel(
        "incident-agent",
        "major-incident",
        template="agent/incidents/major/_panel.html",
        context=views_major.incident_panel,
        order=5,
    )
    register_panel(
        "agent-home",
        "major-incidents",
        template="agent/incidents/major/_home_widget.html",
        context=views_major.agent_home_widget,
        order=5,
    )
    # Above the report form, never inside it: the banner holds its own "This affects me too" form,
    # and a form nested in another is dropped by the browser (its button then sends the outer one).
    for slot in ("portal-home", "incident-report-page"):
        register_panel(
            slot,
            "major-incident-banner",
            template="portal/incidents/major/_banner.html",
            context=views_major.portal_banner,
            order=1,
        )
    register_panel(
        "incident-portal",
        "major-incident-banner",
        template="portal/incidents/major/_banner.html",
        context=views_major.portal_incident_banner,
        order=1,
    )
    entry = (_("Major incidents"), "major:board", None)
    if entry not in getattr(config, "agent_nav", []):
        config.agent_nav = [*getattr(config, "agent_nav", []), entry]
