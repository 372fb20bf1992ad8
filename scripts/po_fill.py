"""Fill empty msgstr entries of a gettext catalogue from a JSON table {msgid: translation}.

Usage: python scripts/po_fill.py path/to/django.po translations.json
Entries already translated are kept; plural entries take the list form ["one", "other"].
Prints the msgids still untranslated, so nothing is missed silently.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_path: Path, table: dict) -> list[str]:
    blocks = po_path.read_text(encoding="utf-8").split("\n\n")
    missing, out = [], []
    for block in blocks:
        lines = block.split("\n")
        text = "\n".join(lines)
        m_id = re.search(r'^msgid (".*")\n((?:".*"\n?)*)', text, re.M)
        if not m_id:
            out.append(block)
            continue
        msgid = _unquote([m_id.group(1), *[x for x in m_id.group(2).split("\n") if x]])
        if msgid == "":
            out.append(block)
            continue
        plural = re.search(r'^msgid_plural (".*")', text, re.M)
        if plural:
            empty = all(_unquote([v]) == "" for v in re.findall(r'^msgstr\[\d\] (".*")', text, re.M))
            if empty and isinstance(table.get(msgid), list):
                forms = table[msgid]
                head = text.split("\nmsgstr[0]")[0]
                text = head + "\n" + "\n".join(f"msgstr[{i}] {_quote(f)}" for i, f in enumerate(forms))
            elif empty:
                missing.append(msgid)
        else:
            m_str = re.search(r'^msgstr (".*")((?:\n".*")*)', text, re.M)
            current = _unquote([m_str.group(1), *[x for x in m_str.group(2).split("\n") if x]])
            if current == "" and msgid in table:
                text = text[: m_str.start()] + f"msgstr {_quote(table[msgid])}" + text[m_str.end() :]
            elif current == "":
                missing.append(msgid)
        text = re.sub(r"^#, fuzzy\n", "", text, flags=re.M).replace(", fuzzy", "")
        out.append(text)
    po_path.write_text("\n\n".join(out), encoding="utf-8")
    return missing


if __name__ == "__main__":
    po, table_file = Path(sys.argv[1]), Path(sys.argv[2])
    left = fill(po, json.loads(table_file.read_text(encoding="utf-8")))
    for msgid in left:
        print(f"untranslated: {msgid!r}")
