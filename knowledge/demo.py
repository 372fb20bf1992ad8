"""Demo knowledge base: ~50 English and Swedish articles in every state, with history and use.

Articles are written through the service functions (so numbers, versions, revisions, history
and search vectors are real), then their dates are spread over the past year so that the lists,
the "due for review" queue and the knowledge report look lived-in. Idempotent: an article that
already exists (same title and language) is left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.models import Category
from knowledge import services
from knowledge.choices import Action, ArticleState, Audience, ViewSource
from knowledge.demo_articles import ARTICLES
from knowledge.models import Article, ArticleEvent, ArticleFeedback, ArticleVersion, ArticleView
from knowledge.search import update_search_vectors
from slm.models import Service

AUTHORS = {
    "en": ["agent", "apps", "kbmgr", "network", "infra"],
    "sv": ["agent2", "network", "infra", "hragent"],
}
READERS = ["alice", "bob", "carol", "dave", "agent", "agent2", "network", "apps", "infra", "hragent"]
END_USERS = ["alice", "bob", "carol", "dave"]
# Services of the catalog an article is about, linked when the SLM demo has created them.
SERVICE_HINTS = {
    "Printer": "Printing",
    "VPN": "Remote access (VPN)",
    "E-mail": "E-mail",
    "Wi-Fi": "Network",
    "Password": "Identity and access",
    "Payroll": "Payroll",
}
UNHELPFUL_COMMENTS = {
    "en": [
        "The menu names are different on my computer.",
        "Did not help, the problem is still there.",
        "Steps are fine but I don't have admin rights.",
    ],
    "sv": ["Menyerna heter något annat hos mig.", "Hjälpte inte, det fungerar fortfarande inte."],
}


def _category(categories: dict, path: str | None) -> Category | None:
    if not path:
        return None
    return categories.get(path) or Category.objects.filter(path=path).first()


def _services_for(path: str | None) -> list[Service]:
    names = [name for hint, name in SERVICE_HINTS.items() if path and hint in path]
    return list(Service.objects.filter(name__in=names)) if names else []


def _write(spec: dict, index: int, users: dict, categories: dict) -> Article:
    authors = AUTHORS[spec["language"]]
    author = users[spec.get("author") or authors[index % len(authors)]]
    manager = users["kbmgr"]
    article = services.create_article(
        by=author,
        title=spec["title"],
        summary=spec["summary"],
        body=spec["body"],
        language=spec["language"],
        audience=spec.get("audience", Audience.EVERYONE),
        category=_category(categories, spec["category"]),
        services=_services_for(spec["category"]),
        tags=spec["tags"],
    )
    state = spec["state"]
    if state == ArticleState.DRAFT:
        return article
    article = services.perform_action(article, by=author, action=Action.SUBMIT)
    if state == ArticleState.REVIEW:
        return article
    article = services.perform_action(article, by=manager, action=Action.PUBLISH)
    if "v2" in spec:
        services.edit_article(
            article, by=author, changes={"body": spec["v2"]["body"], "change_note": spec["v2"]["note"]}
        )
        article = services.perform_action(article, by=author, action=Action.SUBMIT)
        article = services.perform_action(article, by=manager, action=Action.PUBLISH)
    if "revision" in spec:
        reviser = users["agent2"] if author.username != "agent2" else users["agent"]
        services.edit_article(
            article,
            by=reviser,
            changes={"body": spec["revision"]["body"], "change_note": spec["revision"]["note"]},
        )
        if spec["revision"].get("submit"):
            article = services.perform_action(article, by=reviser, action=Action.SUBMIT)
    if state == ArticleState.RETIRED:
        article = services.perform_action(
            article, by=manager, action=Action.RETIRE, reason="Replaced by a newer article."
        )
    return article


def _spread_dates(article: Article, spec: dict, index: int, now) -> None:
    """Move the article's history back in time, in the same order it happened."""
    rng = random.Random(f"dates-{spec['key']}")
    age = timedelta(days=20 + (index * 37) % 420, hours=rng.randint(0, 20))
    created = now - age
    versions = list(ArticleVersion.objects.filter(article=article).order_by("number"))
    moments = [created + timedelta(days=2 + rng.randint(0, 3))]
    if len(versions) > 1:
        moments.append(now - age / 3)
    for version, moment in zip(versions, moments, strict=False):
        ArticleVersion.objects.filter(pk=version.pk).update(published_at=moment)
    last = moments[len(versions) - 1] if versions else created + timedelta(hours=3)
    if spec["state"] == ArticleState.DRAFT:
        last = created + timedelta(hours=1)
    events = list(ArticleEvent.objects.filter(ticket=article).order_by("pk").values_list("pk", flat=True))
    step = (last - created) / max(len(events) - 1, 1)
    for position, pk in enumerate(events):
        ArticleEvent.objects.filter(pk=pk).update(created_at=created + step * position)
    fields = {"created_at": created, "updated_at": last}
    if versions:
        fields["published_at"] = last
        review = (
            timezone.localdate() - timedelta(days=10)
            if spec.get("review_due")
            else (last + timedelta(days=365)).date()
        )
        fields["review_by"] = review
    if spec["state"] == ArticleState.RETIRED:
        fields["retired_at"] = now - timedelta(days=rng.randint(3, 15))
    Article.objects.filter(pk=article.pk).update(**fields)


def _use(article: Article, spec: dict, users: dict, now) -> None:
    """Readings over the last 90 days and "was this helpful?" answers."""
    if not article.version:
        return
    rng = random.Random(f"use-{spec['key']}")
    readers = END_USERS + READERS if article.audience == Audience.EVERYONE else READERS[4:]
    sources = [ViewSource.PORTAL, ViewSource.PORTAL_SEARCH, ViewSource.AGENT]
    views = [
        ArticleView(
            article=article,
            user=users[rng.choice(readers)],
            source=rng.choice(sources),
            created_at=now - timedelta(days=rng.uniform(0.1, 90)),
        )
        for _ in range(spec.get("views", 10))
    ]
    ArticleView.objects.bulk_create(views)
    Article.objects.filter(pk=article.pk).update(view_count=len(views))
    if spec["state"] != ArticleState.PUBLISHED:
        return
    article.refresh_from_db()
    helpful_rate = 0.45 if spec["key"] in {"vpn-drops", "laptop-slow", "sv-vpn-slow"} else 0.85
    voters = rng.sample(sorted(set(readers)), k=min(len(set(readers)), rng.randint(2, 8)))
    for username in voters:
        helpful = rng.random() < helpful_rate
        comment = "" if helpful or rng.random() < 0.5 else rng.choice(UNHELPFUL_COMMENTS[article.language])
        services.record_feedback(article, by=users[username], helpful=helpful, comment=comment)
    ArticleFeedback.objects.filter(article=article).update(
        updated_at=now - timedelta(days=rng.uniform(1, 60))
    )


def _report_form_visits(articles: dict, users: dict, now) -> None:
    """End users who opened a suggested article while reporting an incident (deflection figures)."""
    if ArticleView.objects.filter(source=ViewSource.REPORT_FORM).exists():
        return
    rng = random.Random("report-form")
    candidates = [
        a for a in articles.values() if a.state == ArticleState.PUBLISHED and a.audience == "everyone"
    ]
    rows = []
    for number in range(36):
        user = users[rng.choice(END_USERS)]
        start = now - timedelta(days=rng.uniform(0.2, 60))
        visit = f"demo{number:04d}{rng.getrandbits(40):010x}"
        for step, article in enumerate(rng.sample(candidates, k=rng.choice([1, 1, 2]))):
            rows.append(
                ArticleView(
                    article=article,
                    user=user,
                    source=ViewSource.REPORT_FORM,
                    visit=visit,
                    created_at=start + timedelta(minutes=3 * step),
                )
            )
    ArticleView.objects.bulk_create(rows)


# Incidents that end users reported and the service desk resolved with an article.
SOLVED_INCIDENTS = [
    ("alice", "Printer on floor 3 shows offline", "printer-offline"),
    ("carol", "Printer PRN-STO-0412 is offline again", "printer-offline"),
    ("bob", "Jag har glömt mitt lösenord", "sv-password-reset"),
    ("carol", "Can't reach the file share from home", "vpn-connect"),
    ("dave", "Inget ljud i Teams-mötet", "sv-teams-audio"),
]


def _solved_incidents(articles: dict, base: dict) -> None:
    """A few incidents resolved "with article KB…", so that solve counts and links are real."""
    from incidents import services as incident_services
    from incidents.models import Incident

    users, desk = base["users"], base.get("desks", {}).get("it")
    for caller_name, short_description, key in SOLVED_INCIDENTS:
        caller, article = users[caller_name], articles.get(key)
        if article is None or article.state != ArticleState.PUBLISHED:
            continue
        if Incident.objects.filter(caller=caller, short_description=short_description).exists():
            continue
        incident = incident_services.create_incident(
            by=caller,
            caller=caller,
            short_description=short_description,
            desk=desk,
            category=article.category,
        )
        # The caller had opened the suggested article while reporting, and reported anyway.
        ArticleView.objects.create(
            article=article,
            user=caller,
            source=ViewSource.REPORT_FORM,
            visit=f"demo{incident.number}",
            created_at=incident.created_at - timedelta(minutes=4),
        )
        responder = users["agent2" if article.language == "sv" else "agent"]
        services.send_to_caller(article, incident, by=responder)
        services.resolve_with_article(article, incident, by=responder)


def seed(base: dict, stdout=None) -> dict:
    users, categories = base["users"], base["categories"]
    now = timezone.now()
    articles, created = {}, 0
    with transaction.atomic():
        for index, spec in enumerate(ARTICLES):
            existing = Article.objects.filter(title=spec["title"], language=spec["language"]).first()
            if existing is not None:
                articles[spec["key"]] = existing
                continue
            article = _write(spec, index, users, categories)
            _spread_dates(article, spec, index, now)
            article.refresh_from_db()
            _use(article, spec, users, now)
            articles[spec["key"]] = article
            created += 1
        _report_form_visits(articles, users, now)
        _solved_incidents(articles, base)
        update_search_vectors([a.pk for a in articles.values()])
    if stdout is not None:
        stdout.write(f"Knowledge: {created} new article(s), {len(articles)} in the demo set.")
    return {"kb_articles": articles}
