"""Differences between two texts of an article, as rows for a side-by-side-free, unified view.

Pure functions: line diff with ``difflib``; a changed line paired with its replacement also gets
a word-level diff, so a fixed typo shows as one word, not a whole paragraph. Everything returned
is escaped HTML.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "equal", "delete", "insert" or "gap" (unchanged lines left out)
    old_line: int | None
    new_line: int | None
    html: SafeString


def _safe(text: str) -> SafeString:
    return mark_safe(str(escape(text)))  # noqa: S308 - escaped


def word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """The two lines with removed words in ``<del>`` and added words in ``<ins>``."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    old_html, new_html = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            old_html.append(left)
            new_html.append(right)
            continue
        if i2 > i1:
            old_html.append(f"<del>{left}</del>")
        if j2 > j1:
            new_html.append(f"<ins>{right}</ins>")
    return mark_safe("".join(map(str, old_html))), mark_safe("".join(map(str, new_html)))  # noqa: S308


def diff_lines(old: str, new: str, *, context: int = 3) -> list[DiffRow]:
    """Unified diff rows of two texts; runs of more than ``2 * context`` unchanged lines collapse."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            lines = list(range(i2 - i1))
            keep_head = context if index > 0 else 0
            keep_tail = context if index < len(opcodes) - 1 else 0
            if len(lines) > keep_head + keep_tail + 1:
                shown = lines[:keep_head] + [None] + lines[len(lines) - keep_tail :]
            else:
                shown = lines
            for offset in shown:
                if offset is None:
                    hidden = len(lines) - keep_head - keep_tail
                    rows.append(DiffRow("gap", None, None, _safe(f"… {hidden} …")))
                else:
                    rows.append(DiffRow("equal", i1 + offset + 1, j1 + offset + 1, _safe(a[i1 + offset])))
            continue
        old_chunk, new_chunk = a[i1:i2], b[j1:j2]
        paired = op == "replace" and len(old_chunk) == len(new_chunk)
        for k, line in enumerate(old_chunk):
            html = word_diff(line, new_chunk[k])[0] if paired else _safe(line)
            rows.append(DiffRow("delete", i1 + k + 1, None, html))
        for k, line in enumerate(new_chunk):
            html = word_diff(old_chunk[k], line)[1] if paired else _safe(line)
            rows.append(DiffRow("insert", None, j1 + k + 1, html))
    return rows


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: SafeString
    new: SafeString


def diff_contents(old: dict, new: dict) -> tuple[list[FieldChange], list[DiffRow]]:
    """Compare two contents (dicts with title, summary, body): short fields word by word, body by line."""
    changes = []
    for name in ("title", "summary"):
        if (old.get(name) or "") != (new.get(name) or ""):
            before, after = word_diff(old.get(name) or "", new.get(name) or "")
            changes.append(FieldChange(name, before, after))
    body = diff_lines(old.get("body") or "", new.get("body") or "")
    if all(row.kind == "equal" for row in body):
        body = []
    return changes, body
