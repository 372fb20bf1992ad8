"""Sentences for timeline entries that another app writes, rendered when the page is shown.

A ticket's timeline belongs to its app, but some entries are written by other apps (the SLA
engine records timers starting, warnings, breaches). The app that writes a kind of entry knows
what its stored data means, so it registers the renderer, in its AppConfig.ready()::

    register_renderer(TimelineKind.SLA, sla_sentence)

The page's view calls ``describe(entry)`` for each entry it shows: the renderer turns the entry's
stored ``data`` into a sentence in the *viewer's* active language (so rows written in another
language, or before a wording changed, read well too). A renderer returns None when the stored
data is not enough to say more than the entry's ``body`` already does; the page then shows the
body. Renderers must not query the database: a page renders hundreds of entries.
"""

from __future__ import annotations

from collections.abc import Callable

Renderer = Callable[[object], str | None]

_RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Render entries of ``kind`` with ``renderer`` (the last registration for a kind wins)."""
    _RENDERERS[str(kind)] = renderer


def has_renderer(kind: str) -> bool:
    return str(kind) in _RENDERERS


def describe(entry) -> str | None:
    """The registered sentence for ``entry``, or None when its kind has none (show its body)."""
    renderer = _RENDERERS.get(str(entry.kind))
    if renderer is None:
        return None
    return renderer(entry)
