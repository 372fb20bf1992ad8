"""search_articles: the same behaviour on PostgreSQL (full text) and SQLite (fallback)."""

import pytest
from django.db import connection

from knowledge import services
from knowledge.search import make_snippet, search_articles, terms_of, tsquery_text

pytestmark = pytest.mark.django_db


def test_terms_and_tsquery_text():
    assert terms_of("  Printer OFFLINE, printer!? <script>") == ["printer", "offline", "script"]
    assert terms_of("lösenord & VPN:*") == ["lösenord", "vpn"]
    assert tsquery_text(["printer", "off"], prefix=True) == "printer & off:*"
    assert tsquery_text(["a", "b"], match_all=False) == "a | b"


def test_snippet_is_escaped_and_marked():
    snippet = make_snippet("Use <b>Printers</b> & scanners to fix the printer", ["printer"])
    assert (
        str(snippet)
        == "Use &lt;b&gt;<mark>Printer</mark>s&lt;/b&gt; &amp; scanners to fix the <mark>printer</mark>"
    )


@pytest.fixture
def library(article_factory, category_tree):
    make = article_factory
    return {
        "offline": make(
            state="published",
            title="Printer shows as offline",
            summary="Bring the printer back online.",
            body="Open the print queue and clear Use Printer Offline.",
            category=category_tree["Printer"],
            tags=["printer"],
        ),
        "toner": make(
            state="published",
            title="Replace the toner cartridge",
            summary="Toner is empty.",
            body="Take a new cartridge for the printer from the cabinet.",
            category=category_tree["Printer"],
            tags=["toner"],
        ),
        "mail": make(
            state="published",
            title="Set an automatic reply",
            summary="Out of office in Outlook.",
            body="Choose File, Automatic Replies.",
            category=category_tree["E-mail"],
            tags=["outlook"],
        ),
        "sv": make(
            state="published",
            title="Skrivaren visas som offline",
            summary="Så får du igång skrivaren.",
            body="Öppna utskriftskön.",
            language="sv",
            category=category_tree["Printer"],
        ),
    }


def _numbers(results):
    return [r.article.number for r in results]


def test_title_match_ranks_first_and_snippet_highlights(library, end_user):
    results = search_articles(end_user, "printer offline")
    assert results[0].article == library["offline"]
    assert "<mark>" in results[0].snippet
    assert results[0].rank > 0


def test_all_words_must_match_then_any_word(library, end_user):
    assert _numbers(search_articles(end_user, "printer offline")) == [library["offline"].number]
    # No article has both words: fall back to any word, best first.
    results = search_articles(end_user, "cartridge outlook")
    assert {r.article.pk for r in results} == {library["toner"].pk, library["mail"].pk}


def test_filters_by_category_service_and_tag(library, end_user, category_tree):
    in_printer = search_articles(end_user, "offline", category=category_tree["Hardware"])
    assert library["offline"].pk in {r.article.pk for r in in_printer}
    assert search_articles(end_user, "offline", category=category_tree["E-mail"]) == []
    assert _numbers(search_articles(end_user, "printer", tag="toner")) == [library["toner"].number]


def test_service_filter(library, end_user, agent):
    from slm.models import Service

    printing = Service.objects.create(name="Printing")
    services.edit_article(library["toner"], by=agent, changes={"services": [printing]})
    assert _numbers(search_articles(end_user, "printer", service=printing)) == [library["toner"].number]


def test_prefix_matching_for_search_as_you_type(library, end_user):
    assert library["offline"].pk in {r.article.pk for r in search_articles(end_user, "printe", prefix=True)}


def test_swedish_articles_are_found_with_swedish_words(library, other_end_user):
    assert _numbers(search_articles(other_end_user, "skrivaren"))[0] == library["sv"].number


def test_hostile_query_is_harmless(library, end_user):
    for query in ["'); DROP TABLE knowledge_article; --", "a & | ! :* ()", "<script>", "", "   ", "x" * 5000]:
        search_articles(end_user, query)
    assert search_articles(end_user, "") == []


def test_text_changes_are_searchable_at_once(library, agent, end_user, knowledge_manager):
    article = library["mail"]
    services.edit_article(article, by=agent, changes={"body": "Vacation responder: choose File."})
    services.perform_action(article, by=agent, action="submit")
    services.perform_action(article, by=knowledge_manager, action="publish")
    assert article.pk in {r.article.pk for r in search_articles(end_user, "vacation responder")}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL stemming")
def test_postgres_stems_english_and_swedish(library, end_user):
    assert library["offline"].pk in {r.article.pk for r in search_articles(end_user, "printers")}
    assert library["sv"].pk in {r.article.pk for r in search_articles(end_user, "skrivare")}


def test_tag_filter_takes_a_slug_or_a_name(library, agent, end_user, as_user):
    services.edit_article(library["mail"], by=agent, changes={"tags": ["Out of office"]})
    assert _numbers(search_articles(end_user, "reply", tag="out-of-office")) == [library["mail"].number]
    assert _numbers(search_articles(end_user, "reply", tag="out of office")) == [library["mail"].number]
    api = as_user(end_user).get("/api/v1/kb/articles/?search=reply&tag=Out+of+office").json()["results"]
    assert [a["number"] for a in api] == [library["mail"].number]
