"""Content-Security-Policy: no inline script, no eval, everything from this origin; the pages work.

The browser reports every blocked script, style or eval as a console error ("Refused to ...");
htmx reports what it may not do (an eval for a trigger filter) as a console error as well. The
main flows run with a listener on ``console`` and ``pageerror``: zero errors is the bar.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.main_pages import seed_main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def main_pages(db):
    return seed_main_pages(language="en")


def watch(page) -> list[str]:
    """Console errors and uncaught exceptions of a page; a failed load is listed by its URL instead
    (the console's "Failed to load resource" names no URL), except the browser's own favicon.ico
    probe on pages without an icon link (the Django admin)."""
    errors: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(f"{page.url}: {msg.text}")

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{page.url}: {response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("response", on_response)
    return errors


def test_every_page_sends_a_strict_policy(client, main_pages):
    from core.models import User

    client.force_login(User.objects.get(username=main_pages.agent_username))
    response = client.get(main_pages.agent[0][1])
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe" not in policy


def test_main_pages_and_flows_run_without_a_policy_violation(new_page, main_pages):
    agent = new_page()
    errors = watch(agent)
    sign_in(agent, main_pages.agent_username, "pw-" + main_pages.agent_username)
    for _name, url in main_pages.agent:
        agent.goto(url)
        agent.wait_for_load_state("networkidle")
    # htmx at work: the queue search filters in place, sorting swaps the table.
    agent.goto(main_pages.agent[1][1])
    agent.locator("[data-search]").press_sequentially("printer")
    expect(agent).to_have_url(re.compile(r"q=printer"))
    agent.locator("#queue-results thead th a").first.click()
    expect(agent).to_have_url(re.compile(r"sort="))
    # Print buttons work without inline handlers.
    agent.goto("/agent/kb/report/")
    agent.evaluate("window.print = () => { window.__printed = true; }")
    agent.get_by_role("button", name="Print").click()
    assert agent.evaluate("window.__printed") is True

    portal = new_page()
    errors += watch(portal)
    sign_in(portal, main_pages.end_user_username, "pw-" + main_pages.end_user_username)
    for _name, url in main_pages.portal:
        portal.goto(url)
        portal.wait_for_load_state("networkidle")
    # Knowledge suggestions follow the report form's text (was an hx-vals "js:" expression: eval).
    portal.goto(main_pages.portal[1][1])
    with portal.expect_response(re.compile(r"/portal/kb/suggest/\?.*q=printer")):
        portal.get_by_label("What is the problem?").fill("printer offline")
    portal.wait_for_load_state("networkidle")
    assert not errors, "\n".join(errors)


def test_admin_and_api_docs_work_under_the_policy(new_page, main_pages):
    from core.models import User

    User.objects.create_superuser("root", "root@example.com", "pw-root")
    page = new_page()
    errors = watch(page)
    sign_in(page, "root", "pw-root")
    for url in ("/admin/", "/admin/incidents/incident/", "/admin/core/user/add/", "/api/docs/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    assert not errors, "\n".join(errors)
