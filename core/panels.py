"""Panels that apps contribute to another app's detail pages, without editing its templates.

An app registers a panel in its AppConfig.ready()::

    register_panel("incident-agent", "sla-timers", template="agent/slm/_incident_timers.html",
                   context=lambda request, obj: {"timers": obj.sla_timers.all()}, order=20)

The page's view calls ``render_panels("incident-agent", request, obj)`` and the template outputs
each HTML fragment. Known slots: incident-agent (main column), incident-agent-side (side column),
incident-portal, portal-home, agent-home, incident-report-page (above the portal report form) and
incident-report-form (inside it: no panel there may contain a form of its own). A panel's context
function returns None to hide it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable
    order: int


_REGISTRY: dict[str, dict[str, Panel]] = {}


def register_panel(slot: str, name: str, *, template: str, context: Callable, order: int = 100) -> None:
    _REGISTRY.setdefault(slot, {})[name] = Panel(name, template, context, order)


def render_panels(slot: str, request, obj=None) -> list[SafeString]:
    html = []
    for panel in sorted(_REGISTRY.get(slot, {}).values(), key=lambda p: (p.order, p.name)):
        extra = panel.context(request, obj)
        if extra is None:
            continue
        html.append(mark_safe(render_to_string(panel.template, {"object": obj, **extra}, request=request)))
    return html
