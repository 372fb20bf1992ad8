"""Markdown to safe HTML: render with ``markdown``, then sanitise with nh3 against an allow-list.

Raw HTML in the source is allowed through Markdown and then cleaned, so authors can use a table
or a ``<kbd>`` but never a script, an event handler, inline styles or a ``javascript:`` link.
Links get ``rel="noopener noreferrer"``; only http, https and mailto URLs (and relative ones)
survive. The result is stored with the article and rendered with ``|safe``.
"""

from __future__ import annotations

import html
import re

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "s",
        "samp",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})

MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list"]

_WHITESPACE = re.compile(r"\s+")


def sanitize_html(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Safe HTML for a Markdown source (an empty string for an empty source)."""
    if not text or not text.strip():
        return ""
    return sanitize_html(markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html"))


def plain_text(safe_html: str) -> str:
    """The visible text of rendered HTML, whitespace collapsed: what search and snippets read."""
    if not safe_html:
        return ""
    # Tags become spaces (so "<li>a</li><li>b</li>" does not glue words); entities are decoded.
    stripped = nh3.clean(safe_html.replace("<", " <"), tags=set(), attributes={})
    return _WHITESPACE.sub(" ", html.unescape(stripped)).strip()
