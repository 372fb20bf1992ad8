"""schemathesis over the whole OpenAPI schema: skipped locally unless asked for, always run in CI.

The run takes a few minutes, so it is opt-in on a developer's machine (``FUZZ=1``, or ``CI=true``
as in ``.ci/run``) and deselectable with ``-m "not fuzz"``. Its totals are printed at the end of
the pytest run, so CI's closing lines show the case count and the number of server errors.
"""

from __future__ import annotations

import os

import pytest

TOTALS: dict[str, dict] = {}


def fuzz_enabled() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("FUZZ", "") not in ("", "0")


def pytest_collection_modifyitems(config, items):
    if fuzz_enabled():
        return
    skip = pytest.mark.skip(reason="schemathesis run: set FUZZ=1 (CI=true runs it always)")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    for role, totals in sorted(TOTALS.items()):
        terminalreporter.write_line(
            f"schemathesis ({role}): {totals['operations']} operations, {totals['cases']} cases, "
            f"{totals['server_errors']} server errors (statuses {totals['statuses']})"
        )
