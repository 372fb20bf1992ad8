"""Reactions to other apps' events (connected in KnowledgeConfig.ready)."""

from knowledge import services


def on_incident_event(sender, *, incident, event, by=None, data=None, **kwargs) -> None:
    """A reopened incident no longer counts as solved by the article it was resolved with."""
    if event == "reopened":
        services.incident_reopened(incident, by=by)
