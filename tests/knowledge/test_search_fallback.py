"""The search fallback of the embedded set-up (SQLite): whole words, title over body, the reader's
language first.

The ranking is pure Python over candidate rows (``rank_candidates``), tested here without a
database; ``search_articles(..., fallback=True)`` runs the fallback on any database, so these
tests run in CI on PostgreSQL as well. The suggestion pages use the fallback on SQLite and full
text on PostgreSQL: both must behave as below.
"""

import pytest
from django.db import connection

from knowledge.search import Candidate, make_snippet, rank_candidates, search_articles

CONNECTION = Candidate(pk=1, title="Slow network connection", body="Check the cable.")
PHONE = Candidate(pk=2, title="Set up the phone app", body="Install the app from the store.")
TONER = Candidate(pk=3, title="Replace the toner cartridge", body="Take a new cartridge.")
SCREEN = Candidate(pk=4, title="The screen stays black", body="Hold the power button until the light is on.")


def _ids(ranked):
    return [cand.pk for cand, _score in ranked]


def test_a_short_term_matches_whole_words_only_not_parts_of_words():
    ranked = rank_candidates([CONNECTION, PHONE, TONER, SCREEN], ["on"], match_all=False)
    assert _ids(ranked) == [SCREEN.pk]  # the word "on", never "connection", "phone" or "toner"


def test_stop_words_do_not_match_when_the_query_has_other_words():
    # "printer on fire": "on" would match every article that says "on" somewhere.
    ranked = rank_candidates([CONNECTION, PHONE, TONER, SCREEN], ["toner", "on"], match_all=False)
    assert _ids(ranked) == [TONER.pk]


def test_a_term_of_three_or_more_letters_matches_the_beginning_of_a_word():
    assert _ids(rank_candidates([CONNECTION, PHONE], ["conn"])) == [CONNECTION.pk]
    assert _ids(rank_candidates([CONNECTION, PHONE], ["pho"])) == [PHONE.pk]
    # Two letters are not a prefix, and the middle of a word is never a match.
    assert rank_candidates([CONNECTION, PHONE], ["co"]) == []
    assert rank_candidates([CONNECTION, PHONE], ["nnect"]) == []


def test_whole_word_ranks_above_prefix():
    whole = Candidate(pk=10, title="Printer offline")
    longer = Candidate(pk=11, title="Printers offline")
    assert _ids(rank_candidates([longer, whole], ["printer"])) == [whole.pk, longer.pk]


def test_title_match_ranks_above_body_matches():
    in_title = Candidate(pk=20, title="VPN disconnects", body="Reinstall the client.")
    in_body = Candidate(
        pk=21, title="Working from home", summary="Tips for remote work with the VPN.", body="Start the VPN."
    )
    assert _ids(rank_candidates([in_body, in_title], ["vpn"])) == [in_title.pk, in_body.pk]


def test_the_readers_language_comes_first_for_an_equal_match():
    english = Candidate(pk=30, title="Connect to the VPN", language="en")
    swedish = Candidate(pk=31, title="Anslut till VPN", language="sv")
    assert _ids(rank_candidates([swedish, english], ["vpn"], language="en")) == [english.pk, swedish.pk]
    assert _ids(rank_candidates([english, swedish], ["vpn"], language="sv")) == [swedish.pk, english.pk]


def test_all_terms_must_match_unless_any_is_asked_for():
    assert rank_candidates([TONER, PHONE], ["toner", "phone"]) == []
    assert set(_ids(rank_candidates([TONER, PHONE], ["toner", "phone"], match_all=False))) == {
        PHONE.pk,
        TONER.pk,
    }


def test_category_and_popularity_boost_equal_matches():
    plain = Candidate(pk=40, title="Printer offline", category_id=1)
    preferred = Candidate(pk=41, title="Printer offline", category_id=2)
    popular = Candidate(pk=42, title="Printer offline", category_id=1, uses=200)
    ranked = _ids(rank_candidates([plain, popular, preferred], ["printer"], prefer_ids=[2]))
    assert ranked == [preferred.pk, popular.pk, plain.pk]


def test_snippet_marks_words_not_parts_of_words():
    snippet = str(make_snippet("Check the connection on the phone, then the toner", ["on", "pho"]))
    assert snippet == "Check the connection <mark>on</mark> the <mark>pho</mark>ne, then the toner"


# --- Through the database: the fallback on any backend, and the suggestion pages ----------------


@pytest.fixture
def library(article_factory, category_tree):
    make = article_factory
    return {
        "vpn_en": make(
            state="published",
            title="Connect to the company VPN from home",
            summary="Remote access for your laptop.",
            body="Start the VPN client and sign in. Check your internet connection first.",
        ),
        "vpn_sv": make(
            state="published",
            language="sv",
            title="Anslut till företagets VPN hemifrån",
            summary="Fjärråtkomst för din bärbara dator.",
            body="Starta VPN-klienten och logga in.",
        ),
        "phone": make(
            state="published",
            title="Set up e-mail on your phone",
            summary="Outlook for iOS and Android.",
            body="Install Outlook from the app store and sign in.",
        ),
        "toner": make(
            state="published",
            title="Replace the toner cartridge",
            summary="Toner is empty.",
            body="Take a new cartridge for the printer from the cabinet.",
            category=category_tree["Printer"],
        ),
        "body_only": make(
            state="published",
            title="Working from home",
            summary="Tips for a good home office.",
            body="Use a wired connection when the VPN is slow.",
        ),
    }


def _titles(results):
    return [r.article.title for r in results]


@pytest.mark.django_db
def test_fallback_on_any_database_matches_words_and_ranks_title_then_language(library, end_user, bob):
    results = search_articles(end_user, "vpn", published_only=True, fallback=True)
    assert _titles(results)[:3] == [
        "Connect to the company VPN from home",  # title, the reader's language
        "Anslut till företagets VPN hemifrån",  # title, the other language
        "Working from home",  # body only
    ]
    swedish = search_articles(bob, "vpn", published_only=True, fallback=True)
    assert _titles(swedish)[0] == "Anslut till företagets VPN hemifrån"
    # "on" is not a part of "connection", "phone" or "toner".
    assert _titles(search_articles(end_user, "on", match_all=False, fallback=True)) == [
        "Set up e-mail on your phone"
    ]
    assert _titles(search_articles(end_user, "toner on", match_all=False, fallback=True)) == [
        "Replace the toner cartridge"
    ]
    assert _titles(search_articles(end_user, "conn", prefix=True, fallback=True)) == [
        "Connect to the company VPN from home",
        "Working from home",
    ]


@pytest.fixture
def bob(db):
    from tests.conftest import make_user

    return make_user("bob", language="sv")


@pytest.mark.django_db
def test_portal_suggestions_mark_whole_words_in_the_readers_language(library, client, end_user):
    client.force_login(end_user)
    html = client.get("/portal/kb/suggest/", {"q": "vpn on"}).content.decode()
    assert html.index("Connect to the company VPN from home") < html.index("Anslut till företagets VPN")
    assert "Replace the toner cartridge" not in html and "Set up e-mail on your phone" not in html
    assert "c<mark>on</mark>" not in html.lower() and "<mark>on</mark>n" not in html.lower()
    assert "<mark>VPN</mark>" in html


@pytest.mark.django_db
def test_agent_suggestions_from_free_text_ignore_short_words(library, client, agent):
    client.force_login(agent)
    html = client.get("/agent/kb/suggest/", {"q": "toner on the floor"}).content.decode()
    assert "Replace the toner cartridge" in html
    for unrelated in ("Set up e-mail on your phone", "Connect to the company VPN", "Working from home"):
        assert unrelated not in html, (unrelated, connection.vendor)
