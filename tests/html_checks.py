"""Checks every HTML page the test suite renders: no ``<form>`` inside another ``<form>``.

A nested form is invalid HTML that browsers "repair" by dropping the inner form's start tag, so
the inner button submits the outer form (issue 11, defect 1: the portal report form swallowed the
major-incident banner's "This affects me too" form). ``tests/conftest.py`` puts
``NestedFormGuardMiddleware`` in front of every request the suite makes (test client, API client
and the live server Playwright drives) and fails the test that rendered such a page.
"""

from __future__ import annotations

import threading
from html.parser import HTMLParser

MIDDLEWARE = "tests.html_checks.NestedFormGuardMiddleware"

_lock = threading.Lock()
_violations: list[str] = []


class _FormNesting(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open_forms: list[tuple[int, int]] = []
        self.nested: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag != "form":
            return
        line, column = self.getpos()
        if self.open_forms:
            outer_line, outer_column = self.open_forms[-1]
            action = dict(attrs).get("action") or ""
            self.nested.append(
                f"<form action={action!r}> at line {line}:{column} is inside the <form> opened at "
                f"line {outer_line}:{outer_column}"
            )
        self.open_forms.append((line, column))

    def handle_startendtag(self, tag: str, attrs) -> None:
        # "<form/>" is not self-closing in HTML: it opens a form like "<form>".
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.open_forms:
            self.open_forms.pop()


def nested_forms(html: str) -> list[str]:
    """Each ``<form>`` that opens while another is still open, described with its position."""
    parser = _FormNesting()
    parser.feed(html)
    parser.close()
    return parser.nested


class NestedFormGuardMiddleware:
    """Test-only: records every HTML response that nests forms, for ``take_violations()``."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and not getattr(response, "streaming", False):
            charset = getattr(response, "charset", None) or "utf-8"
            found = nested_forms(response.content.decode(charset, errors="replace"))
            if found:
                with _lock:
                    _violations.extend(f"{request.method} {request.get_full_path()}: {f}" for f in found)
        return response


def take_violations() -> list[str]:
    with _lock:
        found = list(_violations)
        _violations.clear()
    return found
