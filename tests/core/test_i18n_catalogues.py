"""The Swedish catalogues say what they mean.

Django merges every catalogue into one table per language: a msgid without a context has ONE
translation in the whole product (LOCALE_PATHS first, then apps in INSTALLED_APPS order, then
Django's own). When two apps (or an app and Django's admin) translate the same English word
differently, one of them silently shows the other's word ("Resolution" became "Lösningstid" on the
incident page, "Action" became the admin's "Händelse"). A word with two meanings gets a ``pgettext``
context; a word with one meaning gets one translation.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def project_catalogues(suffix: str) -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob(f"**/*locale/sv/LC_MESSAGES/django.{suffix}")
        if ".venv" not in path.parts and "node_modules" not in path.parts
    )


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file as dicts (msgctxt, msgid, msgstr, flags); obsolete ``#~`` entries skipped.

    A new entry starts at the first comment, msgctxt or msgid line after a msgstr, so entries that
    are not separated by a blank line are still told apart.
    """
    entries: list[dict] = []
    entry: dict = {"flags": ""}
    key = None

    def close():
        if entry.get("msgid"):
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        starts_entry = line.startswith(("#", "msgctxt ", "msgid ")) and not line.startswith("msgid_plural")
        if (starts_entry and key and key.startswith("msgstr")) or not line.strip():
            close()
            entry, key = {"flags": ""}, None
            if not line.strip():
                continue
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"] += line
        if line.startswith("#"):
            continue
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
        if match:
            key = match.group(1)
            entry[key] = match.group(2)
        elif line.startswith('"') and key:
            entry[key] += line[1:-1]
    close()
    return [e for e in entries if not e.get("obsolete")]


def compiled_entries():
    for mo in project_catalogues("mo"):
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog
        for key, value in catalog.items():
            if isinstance(key, str) and key:
                yield mo.relative_to(ROOT), key, value


def test_every_project_translation_is_the_one_shown():
    """No catalogue entry is shadowed by another catalogue's different translation of the same msgid."""
    shadowed = []
    with translation.override("sv"):
        for mo, key, wanted in compiled_entries():
            context, _sep, msgid = key.rpartition("\x04")
            shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if shown != wanted:
                shadowed.append(f"{mo}: {context or '-'} | {msgid!r} wants {wanted!r} but shows {shown!r}")
    assert not shadowed, "add a pgettext context or use one translation:\n" + "\n".join(shadowed)


@pytest.mark.parametrize(
    ("context", "msgid", "swedish"),
    [
        ("incident resolution", "Resolution", "Lösning"),
        ("SLA metric", "Resolution", "Lösningstid"),
        ("bulk action", "Action", "Åtgärd"),
        ("problem state", "Closed", "Stängt"),
        ("approval decision", "Rejected", "Avslaget"),
        ("edits to an article", "Changes", "Ändringar"),
        (None, "Changes", "Förändringar"),
    ],
)
def test_words_with_two_meanings_have_their_own_translation(context, msgid, swedish):
    with translation.override("sv"):
        shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    assert shown == swedish


def test_no_empty_or_fuzzy_swedish_entry():
    """A fuzzy or empty entry is not compiled: the page would show English."""
    bad = []
    for po in project_catalogues("po"):
        for entry in parse_po(po):
            msgstrs = [value for key, value in entry.items() if key.startswith("msgstr")]
            if "fuzzy" in entry["flags"] or not all(msgstrs):
                bad.append(f"{po.relative_to(ROOT)}: {entry.get('msgctxt', '-')} | {entry['msgid']!r}")
    assert not bad, "\n".join(bad)


def test_one_translation_per_msgid_across_catalogues():
    """The same msgid and context in two catalogues carry the same Swedish text."""
    seen: dict[tuple, tuple[str, Path]] = {}
    differing = []
    for po in project_catalogues("po"):
        for entry in parse_po(po):
            key = (entry.get("msgctxt"), entry["msgid"])
            value = entry.get("msgstr", entry.get("msgstr[0]"))
            if key in seen and seen[key][0] != value:
                first_value, first_po = seen[key]
                differing.append(
                    f"{key}: {first_po.relative_to(ROOT)} {first_value!r} vs {po.relative_to(ROOT)} {value!r}"
                )
            seen.setdefault(key, (value, po))
    assert not differing, "\n".join(differing)
