import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_signs_in_and_lands_in_agent_area(new_page, agent):
    page = new_page()
    sign_in(page, "agent", "pw-agent")
    assert page.url.endswith("/agent/")
    assert page.get_by_role("heading", name="Welcome, Agent").is_visible()


def test_end_user_signs_in_to_portal_and_switches_to_swedish(new_page, end_user):
    page = new_page()
    sign_in(page, "end_user", "pw-end_user")
    assert page.url.endswith("/portal/")
    # Choosing a language changes nothing by itself (WCAG 3.2.2); the Change button submits it.
    page.get_by_label("Language").select_option("sv")
    with page.expect_navigation():
        page.get_by_role("button", name="Change").click()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("button", name="Logga ut").is_visible()
    end_user.refresh_from_db()
    assert end_user.language == "sv"
