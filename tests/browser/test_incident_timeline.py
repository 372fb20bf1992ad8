"""In the browser: the agent's incident timeline keeps service-level events out of the way until
the agent asks for them, with htmx and without JavaScript alike."""

import pytest

from tests.browser.conftest import sign_in
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy, office_hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STARTED = "Resolution target 8 business hours (Standard, Office hours) started."


@pytest.fixture
def incident(desk, end_user, agent, service_desk_group):
    make_policy("Standard", office_hours(), {("resolution", None): 8 * 60, ("response", None): 60})
    return make_incident(end_user, assignment_group=service_desk_group, assigned_to=agent)


def test_agent_shows_and_hides_service_level_events(new_page, agent, incident):
    page = new_page()
    sign_in(page, "agent", "pw-agent")
    page.goto(f"/agent/incidents/{incident.number}/")
    timeline = page.locator("#timeline")
    assert timeline.locator("li.kind-created").is_visible()
    assert timeline.locator("li.kind-sla").count() == 0
    assert STARTED not in timeline.inner_text()

    page.get_by_role("link", name="Show service-level events (2)").click()
    page.locator("#timeline li.kind-sla").first.wait_for()
    assert STARTED in page.locator("#timeline").inner_text()
    assert "Target seconds" not in page.content()
    assert "sla=1" in page.url  # htmx pushed the URL: reload or share it and the events stay
    assert page.locator("#comment-form").count() == 1  # only the timeline was swapped

    page.get_by_role("link", name="Hide service-level events").click()
    page.locator("#timeline li.kind-sla").first.wait_for(state="detached")
    assert page.get_by_role("link", name="Show service-level events (2)").is_visible()


def test_the_toggle_works_without_javascript(browser, live_server, agent, incident):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "agent", "pw-agent")
        page.goto(f"/agent/incidents/{incident.number}/")
        assert page.locator("#timeline li.kind-sla").count() == 0
        page.get_by_role("link", name="Show service-level events (2)").click()
        page.wait_for_load_state()
        assert STARTED in page.locator("#timeline").inner_text()
    finally:
        context.close()
