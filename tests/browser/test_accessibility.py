"""WCAG 2.1 AA on the main agent and portal pages, in a real browser.

axe-core (vendored for tests only, see tests/browser/vendor/axe-core) runs over every main page
with the WCAG 2.0/2.1 A and AA rules and axe's best practices: zero violations of any impact.
Keyboard and reflow behaviour that axe cannot see is driven by hand below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

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


def audit(page, pages: list[tuple[str, str]], language: str = "en") -> dict[str, list[dict]]:
    found = {}
    for name, url in pages:
        response = page.goto(url)
        assert response.status == 200, f"{name} {url}: {response.status}"
        assert page.locator("html").get_attribute("lang") == language, name
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            found[f"{name} ({url})"] = violations
    return found


@pytest.fixture
def main_pages(db):
    return seed_main_pages(language="en")


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("side", ["agent", "portal"])
def test_main_pages_have_no_axe_violations(new_page, side, language):
    """In both languages: the Swedish UI has its own texts (longer words, other lang parts)."""
    main_pages = seed_main_pages(language=language)
    page = new_page()
    username = main_pages.agent_username if side == "agent" else main_pages.end_user_username
    sign_in(page, username, "pw-" + username)
    found = audit(page, getattr(main_pages, side), language)
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)


def test_queue_reflows_at_320_css_pixels(new_page, main_pages):
    """WCAG 1.4.10: at 320 px wide the queue reads top to bottom, nothing scrolls sideways."""
    page = new_page()
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, main_pages.agent_username, "pw-" + main_pages.agent_username)
    page.goto(main_pages.agent[1][1])
    expect(page.locator("#queue-results tbody tr").first).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px viewport"


def test_focus_stays_on_the_sort_and_page_controls_after_the_htmx_swap(new_page, main_pages):
    """WCAG 2.4.3: sorting or paging the queue by keyboard keeps focus on the activated control."""
    from core.models import User
    from incidents.services import create_incident

    caller = User.objects.get(username=main_pages.end_user_username)
    for n in range(10):  # more than one page of 10
        create_incident(by=caller, caller=caller, short_description=f"Laptop {n} does not start")
    page = new_page()
    sign_in(page, main_pages.agent_username, "pw-" + main_pages.agent_username)
    page.goto(main_pages.agent[1][1] + "&per_page=10")
    sort_link = page.locator("#queue-results thead th a").first
    label = sort_link.inner_text().strip(" ▲▼")
    sort_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#queue-results thead th a").first).to_be_focused()
    assert page.evaluate("document.activeElement.textContent").startswith(label)
    next_link = page.locator("#queue-results .pagination a[rel=next]")
    next_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(re.compile(r"page=2"))
    # The last page has no "Next": focus goes to its counterpart, "Previous".
    expect(page.locator("#queue-results .pagination a[rel=prev]")).to_be_focused()


def test_single_key_shortcuts_can_be_turned_off_and_stay_off(new_page, main_pages):
    """WCAG 2.1.4: a remembered setting turns j/k/x/o and / off."""
    page = new_page()
    sign_in(page, main_pages.agent_username, "pw-" + main_pages.agent_username)
    page.goto(main_pages.agent[1][1])
    first_row = page.locator("#queue-results a.row-link").first
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    expect(first_row).to_be_focused()

    toggle = page.get_by_label("Single-key shortcuts (/, j, k, x, o)")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    page.reload()
    expect(page.get_by_label("Single-key shortcuts (/, j, k, x, o)")).not_to_be_checked()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    expect(first_row).not_to_be_focused()
    page.keyboard.press("/")
    expect(page.locator("[data-search]")).not_to_be_focused()


def test_language_menu_changes_nothing_until_its_button_is_pressed(new_page, main_pages):
    """WCAG 3.2.2: choosing a language in the menu does not submit; the Change button does."""
    from core.models import User

    page = new_page()
    sign_in(page, main_pages.agent_username, "pw-" + main_pages.agent_username)
    page.goto(main_pages.agent[0][1])
    page.get_by_label("Language").select_option("sv")
    page.wait_for_timeout(500)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert User.objects.get(username=main_pages.agent_username).language == "en"
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert User.objects.get(username=main_pages.agent_username).language == "sv"


def test_focus_indicator_has_three_to_one_contrast(new_page, main_pages):
    """WCAG 1.4.11: the focus outline against the white page (the amber ring was about 2:1)."""
    page = new_page()
    sign_in(page, main_pages.agent_username, "pw-" + main_pages.agent_username)
    page.goto(main_pages.agent[1][1])
    page.locator("[data-search]").focus()
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
    )
    tag, line, width, colour = style
    assert line == "solid" and float(width.rstrip("px")) >= 2, style
    assert contrast(colour, "rgb(255, 255, 255)") >= 3, style


def contrast(first: str, second: str) -> float:
    def luminance(rgb: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", rgb)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
