"""The end user's path through the knowledge base in a real browser.

1. While reporting an incident in the portal's report form, typing "printer" brings up a
   suggested article (htmx, debounced; the knowledge app's suggestion box is registered in the
   form's "incident-report-form" panel slot); the user opens it and rates it helpful.
2. The knowledge base page itself searches as you type.
"""

import pytest
from django.urls import reverse

from knowledge.models import ArticleFeedback, ArticleView
from tests.browser.conftest import sign_in
from tests.knowledge.conftest import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def printer_article(agent, knowledge_manager, category_tree):
    make_article(
        agent,
        manager=knowledge_manager,
        state="published",
        title="Replace the toner cartridge",
        summary="Spare cartridges are in the supply cabinet.",
        body="Open the front cover.",
    )
    return make_article(
        agent,
        manager=knowledge_manager,
        state="published",
        title="Printer shows as offline",
        summary="Bring an offline printer back online in a few steps.",
        body="Open **Printers & scanners** and clear *Use Printer Offline*.",
        category=category_tree["Printer"],
    )


def test_end_user_types_printer_in_the_report_form_opens_the_suggestion_and_rates_it(
    new_page, end_user, printer_article, desk
):
    page = new_page()
    sign_in(page, "end_user", "pw-end_user")
    page.goto(reverse("incidents:portal-report"))
    page.get_by_label("What is the problem?").press_sequentially("printer", delay=40)
    suggestion = page.get_by_role("link", name="Printer shows as offline")
    suggestion.wait_for()
    assert page.get_by_role("heading", name="These articles may solve your problem").is_visible()
    with page.expect_popup() as popup:
        suggestion.click()
    article_page = popup.value
    article_page.wait_for_load_state()
    assert article_page.get_by_role("heading", name="Printer shows as offline").is_visible()
    article_page.get_by_role("button", name="Yes, it helped").click()
    article_page.get_by_text("Thank you! Glad it helped.").wait_for()

    printer_article.refresh_from_db()
    assert printer_article.helpful_count == 1 and printer_article.view_count == 1
    feedback = ArticleFeedback.objects.get(article=printer_article)
    assert feedback.user == end_user and feedback.helpful
    view = ArticleView.objects.get(article=printer_article)
    assert view.source == "report_form" and len(view.visit) == 32 and view.user == end_user


def test_knowledge_base_page_searches_as_you_type(new_page, end_user, printer_article):
    page = new_page()
    sign_in(page, "end_user", "pw-end_user")
    page.goto("/portal/kb/")
    page.get_by_label("Search the knowledge base").press_sequentially("printer off", delay=40)
    result = page.locator("#kb-results").get_by_role("link", name="Printer shows as offline")
    result.wait_for()
    assert "q=printer" in page.url  # the results page is bookmarkable
    result.click()
    page.get_by_role("button", name="Yes, it helped").click()
    page.get_by_text("Thank you! Glad it helped.").wait_for()
    printer_article.refresh_from_db()
    assert printer_article.helpful_count == 1
    assert ArticleView.objects.get(article=printer_article).source == "portal_search"
