from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("english", "swedish"),
    [("Sign in", "Logga in"), ("Sign out", "Logga ut"), ("Language", "Språk"), ("Home", "Hem")],
)
def test_swedish_catalogue_is_compiled(english, swedish):
    with translation.override("sv"):
        assert translation.gettext(english) == swedish


def test_every_catalogue_is_compiled_and_current():
    """Each .po has its .mo beside it, newer than the .po: compiled files are committed."""
    stale = []
    for po in ROOT.glob("**/locale/*/LC_MESSAGES/django.po"):
        if ".venv" in po.parts:
            continue
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime + 1 < po.stat().st_mtime:
            stale.append(str(po.relative_to(ROOT)))
    assert not stale, f"run 'make messages' to compile: {stale}"
