"""Knowledge search benchmark: p50/p95 of ``search_articles`` over N published articles on PostgreSQL.

Usage (a dedicated database is best; the script migrates it):

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE itsm_kb_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm_kb_bench \\
        .venv/bin/python benchmarks/knowledge_search.py [--articles 10000] [--repeat 30]

Seeding (only the missing articles, so a second run is fast): synthetic English and Swedish
articles on 24 service-desk topics, bodies drawn from a Zipf-distributed vocabulary, inserted
with ``bulk_create``; the search vectors of all of them are then computed by a single UPDATE.
Timing covers the whole ``search_articles`` call (ranked match, headline snippets for the
page, ORM objects) as an end user and as an agent, with and without prefix matching. Target:
p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core import roles  # noqa: E402
from core.models import User  # noqa: E402
from knowledge.models import Article, ArticleVersion  # noqa: E402
from knowledge.search import search_articles, update_search_vectors  # noqa: E402

TOPICS = [
    (
        "Printer shows as offline",
        "Skrivaren visas som offline",
        "printer offline queue spooler skrivare utskrift",
    ),
    ("Reset your password", "Återställ ditt lösenord", "password reset account lösenord konto"),
    ("Connect to the VPN", "Anslut till VPN", "vpn globalprotect remote hemifrån distansarbete"),
    ("Open a shared mailbox", "Öppna en delad brevlåda", "outlook shared mailbox brevlåda e-post"),
    ("No sound in Teams", "Inget ljud i Teams", "teams audio headset ljud mikrofon"),
    ("Laptop is slow", "Datorn är långsam", "laptop slow performance dator långsam"),
    ("Monitor not detected", "Skärmen hittas inte", "monitor docking display skärm dockningsstation"),
    ("Guest Wi-Fi for visitors", "Gästnät för besökare", "wifi guest visitor gäst besökare"),
    ("Account locked", "Kontot är låst", "account locked sign-in konto låst inloggning"),
    ("Replace the toner", "Byt toner", "toner cartridge printer kassett skrivare"),
    ("Report phishing", "Rapportera nätfiske", "phishing e-mail security nätfiske säkerhet"),
    ("Set an automatic reply", "Ställ in autosvar", "automatic reply outlook autosvar frånvaro"),
    ("Request new software", "Beställ programvara", "software licence request programvara licens"),
    ("BitLocker recovery key", "BitLocker-återställningsnyckel", "bitlocker recovery key nyckel"),
    ("Mailbox almost full", "Brevlådan är full", "mailbox archive quota brevlåda arkiv"),
    (
        "Multi-factor authentication on a new phone",
        "Tvåstegsverifiering i ny telefon",
        "mfa authenticator phone mobil",
    ),
    ("Map a network drive", "Anslut en nätverksenhet", "drive share folder mapp filserver"),
    ("Clear a paper jam", "Ta bort papperstrassel", "paper jam printer papper skrivare"),
    ("Install a certificate", "Installera ett certifikat", "certificate browser certifikat webbläsare"),
    ("Sync files with OneDrive", "Synkronisera filer med OneDrive", "onedrive sync files filer synk"),
    ("Find your payslip", "Hitta din lönespecifikation", "payslip salary lön lönespecifikation"),
    ("Book a meeting room", "Boka ett mötesrum", "meeting room calendar mötesrum kalender"),
    ("Scan to e-mail", "Skanna till e-post", "scan multifunction skanna e-post"),
    ("Update Windows", "Uppdatera Windows", "windows update restart uppdatering omstart"),
]

GENERAL_EN = (
    "the you your to and open click select choose settings menu window computer network service desk "
    "user account message error restart check make sure wait minutes then again if not still contact "
    "report incident help step first second next when after before page link sign in office home app "
    "device phone system server file folder access request manager approve team colleague work day"
).split()
GENERAL_SV = (
    "du din ditt och att öppna klicka välj inställningar menyn fönster datorn nätverket servicedesken "
    "användare konto meddelande fel starta om kontrollera se till vänta minuter sedan igen om inte "
    "fortfarande kontakta anmäl incident hjälp steg först nästa när efter innan sida länk logga in "
    "kontor hemma app enhet telefon system server fil mapp behörighet beställ chef godkänn kollega dag"
).split()

QUERIES = [
    ("printer offline", False),
    ("reset password", False),
    ("vpn", False),
    ("shared mailbox", False),
    ("skrivare", False),
    ("lösenord", False),
    ("no sound in teams", False),
    ("laptop slow", False),
    ("guest wifi", False),
    ("account locked after sign-in", False),
    ("bitlocker recovery", False),
    ("printer", True),
    ("pass", True),
    ("skriv", True),
    ("monitor dock", True),
]


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    syllables = ["ka", "lo", "ren", "tis", "mo", "ver", "sa", "dul", "pen", "ix", "or", "stu", "bel", "ran"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(count)]


def seed(target: int) -> int:
    bench_user, created = User.objects.get_or_create(
        username="kb-bench", defaults={"first_name": "Benchmark", "email": "kb-bench@itsm.example"}
    )
    if created:
        bench_user.groups.add(Group.objects.get(name=roles.AGENT))
    have = Article.objects.filter(author=bench_user).count()
    missing = max(target - have, 0)
    if not missing:
        return 0
    rng = random.Random(have)
    tail = _pseudo_words(rng, 4000)
    weights = [1 / (rank + 1) for rank in range(len(tail))]  # Zipf-like long tail
    now = timezone.now()
    batch = []
    for index in range(have, have + missing):
        title_en, title_sv, keywords = TOPICS[index % len(TOPICS)]
        swedish = rng.random() < 0.3
        general = GENERAL_SV if swedish else GENERAL_EN
        words = keywords.split()
        body_words = [
            rng.choice(words) if roll < 0.12 else rng.choice(general) if roll < 0.6 else None
            for roll in (rng.random() for _ in range(rng.randint(80, 220)))
        ]
        longtail = iter(rng.choices(tail, weights=weights, k=len(body_words)))
        body = " ".join(word or next(longtail) for word in body_words)
        variant = " ".join(rng.choices(tail[:300], k=2))
        title = f"{title_sv if swedish else title_en} ({variant})"
        summary = " ".join(
            rng.choice(words) if rng.random() < 0.3 else rng.choice(general) for _ in range(18)
        )
        batch.append(
            Article(
                number=f"KB9{index:06d}",
                title=title[:200],
                summary=summary[:500],
                body=body,
                body_html=f"<p>{body}</p>",
                body_text=body,
                language="sv" if swedish else "en",
                audience="agents" if rng.random() < 0.2 else "everyone",
                state="published",
                author=bench_user,
                owner=bench_user,
                version=1,
                published_at=now,
                view_count=rng.randint(0, 500),
                helpful_count=rng.randint(0, 40),
            )
        )
    with transaction.atomic():
        created_articles = Article.objects.bulk_create(batch, batch_size=1000)
        ArticleVersion.objects.bulk_create(
            [
                ArticleVersion(
                    article=a,
                    number=1,
                    title=a.title,
                    summary=a.summary,
                    body=a.body,
                    body_html=a.body_html,
                    language=a.language,
                    written_by=bench_user,
                    published_by=bench_user,
                    published_at=now,
                )
                for a in created_articles
            ],
            batch_size=1000,
        )
        started = time.perf_counter()
        update_search_vectors()  # one UPDATE over every article
        print(f"search vectors: one UPDATE over all articles in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_article")
    return missing


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(
            "This benchmark measures PostgreSQL full-text search: set DATABASE_URL to a PostgreSQL database."
        )
        return 2
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    added = seed(args.articles)
    print(f"seeded {added} new article(s) in {time.perf_counter() - started:.1f} s")
    published = Article.objects.filter(state="published").count()
    print(f"published articles: {published}")

    end_user, _ = User.objects.get_or_create(username="kb-bench-reader", defaults={"language": "en"})
    agent = User.objects.get(username="kb-bench")
    for query, prefix in QUERIES:  # warm caches and the connection
        search_articles(end_user, query, published_only=True, prefix=prefix)

    timings: list[float] = []
    per_query: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for _ in range(args.repeat):
        for query, prefix in QUERIES:
            for user in (end_user, agent):
                t0 = time.perf_counter()
                results = search_articles(
                    user, query, limit=20, published_only=user is end_user, prefix=prefix
                )
                elapsed = (time.perf_counter() - t0) * 1000
                timings.append(elapsed)
                per_query.setdefault(f"{query}{'*' if prefix else ''}", []).append(elapsed)
                hits[query] = len(results)

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM knowledge_article WHERE search_vector @@ "
            "(to_tsquery('english', 'printer & offline') || to_tsquery('swedish', 'printer & offline'))"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print("\nper query (ms)            p50     p95")
    for name, values in per_query.items():
        print(f"  {name:<24} {statistics.median(values):6.1f}  {percentile(values, 0.95):6.1f}")
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(f"\nplan uses the GIN index: {'kb_article_search_gin' in plan}")
    print(f"searches: {len(timings)} over {published} published articles")
    print(f"search_articles p50 = {p50:.1f} ms, p95 = {p95:.1f} ms, max = {max(timings):.1f} ms")
    print(f"target p95 < 50 ms: {'met' if p95 < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
