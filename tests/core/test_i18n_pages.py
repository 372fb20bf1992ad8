"""The main agent and portal pages under Swedish show no English UI text from our own catalogues.

Every msgid of the project's .po files that has a Swedish msgstr different from the English is a
string the Swedish UI must never show in English. The test renders each main page for a Swedish
user and fails when a whole visible text node (or an aria-label, title, placeholder, alt or
button value) equals such an English msgid, i.e. a string that is in the catalogue but reached
the page untranslated (a missing ``{% translate %}``, a wrong context, a lazy string evaluated at
import time, a catalogue that is not compiled). Whole-node comparison keeps data (incident texts,
names) from matching by accident; English texts that are also a Swedish word are skipped.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from core.models import User
from tests.core.test_i18n_catalogues import parse_po, project_catalogues
from tests.main_pages import seed_main_pages

pytestmark = pytest.mark.django_db

ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}


def english_that_must_be_swedish() -> dict[str, str]:
    """{English msgid: Swedish} for every translated catalogue entry whose Swedish differs."""
    entries = [entry for po in project_catalogues("po") for entry in parse_po(po)]
    swedish_words = {entry.get("msgstr", "") for entry in entries}
    wanted = {}
    for entry in entries:
        msgid, msgstr = entry["msgid"], entry.get("msgstr", "")
        if not msgstr or msgstr == msgid or msgid in swedish_words or "%" in msgid or "{" in msgid:
            continue
        if len(msgid) < 3 or "\\n" in msgid:
            continue
        wanted[msgid] = msgstr
    return wanted


class VisibleText(HTMLParser):
    """Text nodes and accessible-name attributes of a page, without script, style and template."""

    SKIP = {"script", "style", "template", "noscript"}

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self, language: str = "sv"):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.texts: list[str] = []
        self.skipping = 0
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped): text in another lang="" is fine

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        lang = attributes.get("lang")
        skip = tag in self.SKIP or (lang is not None and not lang.startswith(self.language))
        if tag not in self.VOID:
            self.stack.append((tag, skip))
            self.skipping += skip
        if self.skipping or skip:
            return
        for name in ATTRIBUTES:
            if attributes.get(name):
                self.texts.append(attributes[name])
        if tag == "input" and attributes.get("type") in {"submit", "button"} and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        # Close up to the matching tag (HTML allows omitted end tags, e.g. </li>, </option>).
        while self.stack:
            open_tag, skip = self.stack.pop()
            self.skipping -= skip
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            text = " ".join(data.split())
            if text:
                self.texts.append(text)


def untranslated(html: str, wanted: dict[str, str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for candidate in {text, text.rstrip(":").strip(), text.rstrip("…").strip()}:
            if candidate in wanted:
                found.append(f"{candidate!r} (should read {wanted[candidate]!r})")
    return sorted(set(found))


def test_catalogue_yields_strings_to_look_for():
    wanted = english_that_must_be_swedish()
    assert len(wanted) > 500
    assert wanted["Sign out"] == "Logga ut"


def test_main_pages_under_swedish_show_no_untranslated_catalogue_string(client):
    pages = seed_main_pages(language="sv")
    wanted = english_that_must_be_swedish()
    problems = {}
    for username, side in ((pages.agent_username, pages.agent), (pages.end_user_username, pages.portal)):
        client.force_login(User.objects.get(username=username))
        for name, url in side:
            response = client.get(url)
            assert response.status_code == 200, f"{name} {url}: {response.status_code}"
            assert 'lang="sv"' in response.content.decode()[:300], name
            found = untranslated(response.content.decode(), wanted)
            if found:
                problems[f"{name} ({url})"] = found
    assert not problems, "\n".join(f"{page}: {', '.join(found)}" for page, found in problems.items())


def test_the_check_finds_an_untranslated_string():
    wanted = english_that_must_be_swedish()
    html = (
        '<main><h1>Mina incidenter</h1><button aria-label="Sign out">x</button><p>Skrivaren</p>'
        '<select><option lang="en">English<option>Svenska</select><h2>Details</h2></main>'
    )
    assert untranslated(html, wanted) == [
        "'Details' (should read 'Detaljer')",
        "'Sign out' (should read 'Logga ut')",
    ]
