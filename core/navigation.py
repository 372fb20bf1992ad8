"""Navigation entries contributed by each app.

An app lists its entries in its AppConfig as ``agent_nav`` / ``portal_nav``: tuples of
(label, url name, required role or None). The layouts show them in INSTALLED_APPS order, so no
app edits another's template to appear in the menu.
"""

from __future__ import annotations

from functools import lru_cache

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from core.roles import has_role


@lru_cache(maxsize=2)
def _entries(area: str) -> tuple[tuple[str, str, str | None, str], ...]:
    result = []
    for config in apps.get_app_configs():
        for label, url_name, role in getattr(config, f"{area}_nav", ()):
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            result.append((label, url_name, role, url))
    return tuple(result)


def entries_for(area: str, user, current_path: str) -> list[dict]:
    items = []
    for label, url_name, role, url in _entries(area):
        if role and not has_role(user, role):
            continue
        items.append({"label": label, "url": url, "name": url_name, "active": False})
    # Only the most specific entry is current: /agent/ (Home) must not light up on
    # /agent/incidents/, nor /portal/incidents/ (My tickets) on /portal/incidents/new/.
    matches = [
        item
        for item in items
        if current_path == item["url"] or (item["url"] != "/" and current_path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return items
