"""Search quality on PostgreSQL with the demo knowledge base (~50 English and Swedish articles).

Each query must return the intended article first, for an English (alice) or Swedish (bob)
reader. Runs only on PostgreSQL (CI always runs it).
"""

import pytest
from django.db import connection

from core import demo as core_demo
from knowledge import demo as knowledge_demo
from knowledge.search import search_articles
from tests.services import require

pytestmark = pytest.mark.django_db

QUERIES = [
    # reader, query, intended first article
    ("alice", "printer offline", "Printer shows as “Offline”"),
    ("alice", "reset password", "Reset your password"),
    ("alice", "VPN", "Connect to the company VPN from home"),
    ("alice", "forgot my password", "Reset your password"),
    ("alice", "printer is offline", "Printer shows as “Offline”"),
    ("alice", "toner", "Replace the toner cartridge"),
    ("alice", "out of office", "Set an automatic reply (out of office)"),
    ("alice", "shared mailbox", "Open a shared mailbox in Outlook"),
    ("alice", "account locked", "Account locked after too many sign-in attempts"),
    ("alice", "phishing", "Report a suspicious e-mail (phishing)"),
    ("alice", "wifi guest", "Give a visitor access to guest Wi-Fi"),
    ("alice", "no sound teams", "No sound in Teams meetings"),
    ("bob", "skrivare", "Skrivaren visas som offline"),
    ("bob", "lösenord", "Återställ ditt lösenord"),
    ("bob", "glömt lösenord", "Återställ ditt lösenord"),
    ("bob", "VPN", "Anslut till företagets VPN hemifrån"),
    ("bob", "skrivaren är offline", "Skrivaren visas som offline"),
    ("bob", "nätfiske", "Rapportera ett misstänkt e-postmeddelande (nätfiske)"),
    ("bob", "lönespecifikation", "Hitta din lönespecifikation"),
    ("bob", "autosvar", "Ställ in autosvar (frånvaromeddelande)"),
]


@pytest.fixture
def demo_kb():
    require(connection.vendor == "postgresql", "search quality is measured on PostgreSQL full-text search")
    base = core_demo.seed()
    knowledge_demo.seed(base)
    return base["users"]


def test_demo_queries_return_the_intended_article_first(demo_kb):
    misses = []
    for username, query, intended in QUERIES:
        results = search_articles(demo_kb[username], query, limit=5, published_only=True)
        titles = [r.article.title for r in results]
        if not titles or titles[0] != intended:
            misses.append((query, intended, titles[:3]))
    assert not misses, misses


def test_search_as_you_type_finds_the_printer_article_from_a_prefix(demo_kb):
    results = search_articles(demo_kb["alice"], "printer offl", limit=5, published_only=True, prefix=True)
    assert results[0].article.title == "Printer shows as “Offline”"
    assert "<mark>" in results[0].snippet


def test_snippets_highlight_stemmed_matches(demo_kb):
    results = search_articles(demo_kb["alice"], "printers", limit=3, published_only=True)
    assert any("<mark>printer" in r.snippet.lower() for r in results)
