"""Full-text search over articles, scoped to what the searcher may read.

On PostgreSQL every article stores a weighted ``tsvector`` built with the text-search
configuration of its own language ('english' or 'swedish'): title A, tags B, summary B, body C.
A query is parsed into words and run through *both* configurations (``english || swedish``), so a
Swedish reader finds English articles and vice versa; articles in the reader's language get a
small boost. All words must match; when nothing does, any word may (ranking still puts articles
matching more words first). Ranking is ``ts_rank``; snippets come from ``ts_headline`` for the
returned page only. A GIN index (migration 0002) serves the ``@@`` match.

On SQLite the same function falls back to word matching in Python (:func:`fallback_search`):
SQL narrows the candidates to rows containing a term, then :func:`rank_candidates` keeps whole
words (or word beginnings of 3+ letters, so "on" never matches "connection"), drops stop words,
scores title 4 > tags, summary 2 > body 1 and prefers the reader's language. Snippets are cut in
Python with the same word rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    FloatField,
    OuterRef,
    Q,
    TextField,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.models import Category
from knowledge.choices import SEARCH_CONFIGS, ArticleLanguage, ArticleState
from knowledge.models import Article, Tag

MAX_TERMS = 10
MAX_TERM_LENGTH = 40
# Articles in the reader's own language rank this much higher.
LANGUAGE_BOOST = 1.15
# An article in the preferred category (incident suggestions) ranks this much higher.
CATEGORY_BOOST = 1.5
# Weight of ln(1 + views + 3 × helpful + 5 × solved) in the ranking.
POPULARITY_WEIGHT = 0.03
# Snippets are cut from the start of summary + body: long articles do not slow the page down.
SNIPPET_SOURCE_CHARS = 4000

_TERM = re.compile(r"\w+", re.UNICODE)
# ts_headline marks matches with these control characters; the text is escaped, then they
# become <mark> tags, so nothing from the article can inject markup into the snippet.
_START, _STOP = "\x02", "\x03"


@dataclass(frozen=True)
class SearchResult:
    article: Article
    rank: float
    snippet: SafeString


def terms_of(query: str | None) -> list[str]:
    """The words of a query, lower-cased, de-duplicated, at most ``MAX_TERMS``."""
    seen: list[str] = []
    for match in _TERM.finditer((query or "").lower()):
        word = match.group(0).strip("_")[:MAX_TERM_LENGTH]
        if word and word not in seen:
            seen.append(word)
        if len(seen) >= MAX_TERMS:
            break
    return seen


def tsquery_text(terms: list[str], *, match_all: bool = True, prefix: bool = False) -> str:
    """A ``to_tsquery`` expression. Terms are ``\\w+`` words, so they carry no operators."""
    parts = list(terms)
    if prefix and parts:
        parts[-1] = f"{parts[-1]}:*"
    return (" & " if match_all else " | ").join(parts)


def update_search_vectors(article_ids: Iterable[int] | None = None) -> None:
    """Recompute ``search_vector`` in one UPDATE (all articles when ``article_ids`` is None).

    The domain services call it after every content change; it is a no-op off PostgreSQL.
    """
    if connection.vendor != "postgresql":
        return
    cases = " ".join(f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in SEARCH_CONFIGS.items())
    cfg = f"(CASE a.language {cases} ELSE 'english'::regconfig END)"
    sql = f"""
        UPDATE knowledge_article AS a SET search_vector =
              setweight(to_tsvector({cfg}, coalesce(a.title, '')), 'A')
           || setweight(to_tsvector({cfg}, coalesce((
                  SELECT string_agg(t.name, ' ')
                  FROM knowledge_article_tags AS at JOIN knowledge_tag AS t ON t.id = at.tag_id
                  WHERE at.article_id = a.id), '')), 'B')
           || setweight(to_tsvector({cfg}, coalesce(a.summary, '')), 'B')
           || setweight(to_tsvector({cfg}, coalesce(a.body_text, '')), 'C')
    """
    params: list = []
    if article_ids is not None:
        ids = list(article_ids)
        if not ids:
            return
        sql += " WHERE a.id = ANY(%s)"
        params.append(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _category_ids(category) -> list[int]:
    if isinstance(category, Category):
        return category.descendant_ids()
    try:
        return Category.objects.get(pk=int(category)).descendant_ids()
    except (Category.DoesNotExist, TypeError, ValueError):
        return []


def filter_articles(qs, *, category=None, service=None, tag=None):
    """Narrow a queryset by category (with subcategories and related categories), service, tag."""
    if category not in (None, ""):
        ids = _category_ids(category)
        related = Article.related_categories.through.objects.filter(
            article_id=OuterRef("pk"), category_id__in=ids
        )
        qs = qs.filter(Q(category_id__in=ids) | Exists(related))
    if service not in (None, ""):
        service_id = getattr(service, "pk", service)
        qs = qs.filter(
            Exists(Article.services.through.objects.filter(article_id=OuterRef("pk"), service_id=service_id))
        )
    if tag not in (None, ""):
        if isinstance(tag, Tag):
            tag_filter = Q(tag_id=tag.pk)
        else:
            tag_filter = Q(tag__slug=str(tag)) | Q(tag__name__iexact=str(tag).strip())
        qs = qs.filter(Exists(Article.tags.through.objects.filter(tag_filter, article_id=OuterRef("pk"))))
    return qs


def search_articles(
    user,
    query: str | None,
    *,
    category=None,
    service=None,
    tag=None,
    limit: int = 20,
    offset: int = 0,
    published_only: bool = False,
    prefix: bool = False,
    match_all: bool = True,
    prefer_category=None,
    fallback: bool = False,
) -> list[SearchResult]:
    """Articles matching ``query`` that ``user`` may read, best first.

    ``published_only`` hides drafts even from their authors (the portal); ``prefix`` lets the
    last word match as a prefix (search as you type); ``match_all=False`` asks for any word at
    once (suggestions from an incident's free text); ``prefer_category`` boosts that category.
    ``fallback`` uses the SQLite fallback on any database (tests check it on PostgreSQL too).
    """
    terms = terms_of(query)
    if not terms or limit <= 0:
        return []
    qs = Article.objects.searchable_by(user)
    if published_only:
        qs = qs.filter(state=ArticleState.PUBLISHED)
    qs = filter_articles(qs, category=category, service=service, tag=tag)
    search = _postgres_search if connection.vendor == "postgresql" and not fallback else fallback_search
    options = {
        "user": user,
        "limit": limit,
        "offset": max(offset, 0),
        "prefix": prefix,
        "prefer_ids": _category_ids(prefer_category) if prefer_category not in (None, "") else [],
    }
    results = search(qs, terms, match_all=match_all, **options)
    if not results and match_all and len(terms) > 1:
        results = search(qs, terms, match_all=False, **options)
    return results


_T = '"knowledge_article"'
_TSQUERY = "(to_tsquery('english', %s) || to_tsquery('swedish', %s))"
_CONFIG = "(CASE {t}.language {cases} ELSE 'english' END)::regconfig".format(
    t=_T, cases=" ".join(f"WHEN '{code}' THEN '{config}'" for code, config in SEARCH_CONFIGS.items())
)
# Popularity (readings, "helpful" answers and incidents solved, on a log scale) separates
# articles that match equally well; it is too weak to lift a poor match over a good one.
_SCORE = (
    f"ts_rank({_T}.search_vector, {_TSQUERY})"
    f" * (CASE WHEN {_T}.language = %s THEN %s::float8 ELSE 1.0::float8 END)"
    f" * (CASE WHEN {_T}.category_id = ANY(%s) THEN %s::float8 ELSE 1.0::float8 END)"
    f" * (1.0::float8 + %s::float8 * ln(({_T}.view_count + 3 * {_T}.helpful_count"
    f" + 5 * {_T}.solved_count + 1)::float8))"
)
_HEADLINE = (
    f"ts_headline({_CONFIG},"
    f" left(coalesce({_T}.summary, '') || ' — ' || coalesce({_T}.body_text, ''), %s), {_TSQUERY}, %s)"
)
_HEADLINE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15"


def _postgres_search(qs, terms, *, match_all, user, limit, offset, prefix, prefer_ids) -> list[SearchResult]:
    """Rank, boost and cut snippets in one SQL query.

    The expressions are plain SQL with parameters: built with nested ORM expressions, compiling
    the query cost more time than running it. ts_headline is expensive, and PostgreSQL
    evaluates such output columns after ORDER BY … LIMIT, so only the returned page pays for it.
    """
    text = tsquery_text(terms, match_all=match_all, prefix=prefix)
    language = getattr(user, "language", None) or ArticleLanguage.EN
    score = RawSQL(
        _SCORE,
        [text, text, language, LANGUAGE_BOOST, prefer_ids, CATEGORY_BOOST, POPULARITY_WEIGHT],
        output_field=FloatField(),
    )
    snippet = RawSQL(
        _HEADLINE, [SNIPPET_SOURCE_CHARS, text, text, _HEADLINE_OPTIONS], output_field=TextField()
    )
    matches = RawSQL(f"{_T}.search_vector @@ {_TSQUERY}", [text, text], output_field=BooleanField())
    articles = list(
        qs.filter(matches)
        .annotate(score=score, snippet_text=snippet)
        .select_related("category", "owner")
        .defer("body", "body_html", "body_text", "search_vector")
        .order_by("-score", "-published_at", "-id")[offset : offset + limit]
    )
    return [
        SearchResult(article=article, rank=float(article.score), snippet=_marked(article.snippet_text))
        for article in articles
    ]


def _marked(headline: str) -> SafeString:
    escaped = str(escape(headline or ""))
    # A fragment may open a mark it does not close (never in practice, but be strict).
    escaped = escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
    if escaped.count("<mark>") != escaped.count("</mark>"):
        escaped = escaped.replace("<mark>", "").replace("</mark>", "")
    return mark_safe(escaped)  # noqa: S308 - built from escaped text and our own tags only


# --------------------------------------------------------------------------------------------
# The fallback (SQLite, the embedded default): words, not substrings
# --------------------------------------------------------------------------------------------

# Field weights of the fallback. A title match outweighs a match in summary and body together,
# as the A > B > C weights of the PostgreSQL vector do.
FALLBACK_WEIGHTS = {"title": 4.0, "tags": 2.0, "summary": 2.0, "body": 1.0}
# A term may match the beginning of a longer word when it has at least this many letters
# ("printe" finds "printer"); shorter terms match whole words only ("on" never finds "connection").
MIN_PREFIX_LENGTH = 3
# A prefix match counts less than the whole word.
PREFIX_FACTOR = 0.6
# The fallback has no stemming or language-aware ranking: prefer the reader's language more
# firmly than PostgreSQL does, so that an equally good match in the reader's language comes first.
FALLBACK_LANGUAGE_BOOST = 1.5
# The fallback ranks in Python: it reads at most this many candidate rows.
FALLBACK_MAX_CANDIDATES = 5000
# Words that carry no meaning for search (PostgreSQL's english and swedish configurations drop
# them too). A query of stop words only keeps them, so that it still finds something.
STOP_WORDS = frozenset(
    """a an and are as at be but by can do does for from has have how i if in into is it its me my
    no not of on or our so than that the their then there these they this to up was we were what
    when where which who why will with you your
    att av de den det detta du där efter eller en ett för från har hur i inte jag kan med min mitt
    mig nu när och om på sig som så till under upp ut var vi vid är""".split()
)


@dataclass(frozen=True)
class Candidate:
    """What the fallback ranks an article by: its texts and the figures of the boosts."""

    pk: int
    title: str
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    language: str = ArticleLanguage.EN
    category_id: int | None = None
    uses: int = 0  # views + 3 × helpful + 5 × solved, as in the PostgreSQL ranking


def words_of(text: str | None) -> frozenset[str]:
    """The lower-cased words of a text, as :func:`terms_of` cuts a query."""
    return frozenset(w.strip("_") for w in _TERM.findall((text or "").lower()) if w.strip("_"))


def meaningful_terms(terms: list[str]) -> list[str]:
    """``terms`` without stop words, unless nothing else is left."""
    kept = [t for t in terms if t not in STOP_WORDS]
    return kept or list(terms)


def term_match(term: str, words: frozenset[str], *, prefix: bool = True) -> float:
    """1 for the whole word, ``PREFIX_FACTOR`` for the start of a word (terms of 3+ letters), 0."""
    if term in words:
        return 1.0
    if prefix and len(term) >= MIN_PREFIX_LENGTH and any(w.startswith(term) for w in words):
        return PREFIX_FACTOR
    return 0.0


def rank_candidates(
    candidates: Iterable[Candidate],
    terms: list[str],
    *,
    match_all: bool = True,
    language: str = ArticleLanguage.EN,
    prefer_ids: Iterable[int] = (),
) -> list[tuple[Candidate, float]]:
    """The fallback's ranking, pure: matching candidates with their scores, best first.

    A term matches a whole word of the title, tags, summary or body, or the beginning of a word
    when it has 3+ letters. The score sums the field weights of each term's best match; the
    reader's language, the preferred categories and popularity multiply it as on PostgreSQL.
    With ``match_all`` every term must match somewhere, else any term.
    """
    terms = meaningful_terms(terms)
    prefer = set(prefer_ids)
    ranked = []
    for cand in candidates:
        fields = {
            "title": words_of(cand.title),
            "tags": words_of(" ".join(cand.tags)),
            "summary": words_of(cand.summary),
            "body": words_of(cand.body),
        }
        score, matched = 0.0, 0
        for term in terms:
            found = [FALLBACK_WEIGHTS[name] * term_match(term, words) for name, words in fields.items()]
            if any(found):
                matched += 1
                score += sum(found)
        if not matched or (match_all and matched < len(terms)):
            continue
        if cand.language == language:
            score *= FALLBACK_LANGUAGE_BOOST
        if cand.category_id in prefer:
            score *= CATEGORY_BOOST
        score *= 1.0 + POPULARITY_WEIGHT * math.log(max(cand.uses, 0) + 1)
        ranked.append((cand, score))
    ranked.sort(key=lambda item: -item[1])
    return ranked


def fallback_search(qs, terms, *, match_all, user, limit, offset, prefix, prefer_ids) -> list[SearchResult]:
    """Search without PostgreSQL full text: SQL narrows to rows containing a term anywhere, then
    :func:`rank_candidates` keeps whole-word (and 3+ letter prefix) matches and ranks them.

    Runs on any database (the tests call it on PostgreSQL as well). ``prefix`` is accepted for
    the common signature: prefixes of 3+ letters always match, so search as you type works.
    """
    del prefix  # the fallback always matches prefixes of 3+ letters
    meaningful = meaningful_terms(terms)
    tag_through = Article.tags.through.objects
    condition = Q() if match_all else Q(pk__in=[])
    for term in meaningful:
        in_tags = Exists(tag_through.filter(article_id=OuterRef("pk"), tag__name__icontains=term))
        term_q = (
            Q(title__icontains=term) | Q(summary__icontains=term) | Q(body_text__icontains=term) | Q(in_tags)
        )
        condition = (condition & term_q) if match_all else (condition | term_q)
    rows = list(
        qs.filter(condition)
        .order_by("-published_at", "-id")
        .values_list(
            "pk", "title", "summary", "body_text", "language", "category_id",
            "view_count", "helpful_count", "solved_count",
        )[:FALLBACK_MAX_CANDIDATES]
    )  # fmt: skip
    tags: dict[int, list[str]] = {}
    for article_id, name in tag_through.filter(article_id__in=[r[0] for r in rows]).values_list(
        "article_id", "tag__name"
    ):
        tags.setdefault(article_id, []).append(name)
    candidates = [
        Candidate(
            pk=pk,
            title=title,
            summary=summary,
            body=body,
            tags=tuple(tags.get(pk, ())),
            language=language,
            category_id=category_id,
            uses=views + 3 * helpful + 5 * solved,
        )
        for pk, title, summary, body, language, category_id, views, helpful, solved in rows
    ]
    reader_language = getattr(user, "language", None) or ArticleLanguage.EN
    ranked = rank_candidates(
        candidates, meaningful, match_all=match_all, language=reader_language, prefer_ids=prefer_ids
    )[offset : offset + limit]
    articles = Article.objects.select_related("category", "owner").in_bulk([c.pk for c, _s in ranked])
    return [
        SearchResult(
            article=articles[cand.pk],
            rank=score,
            snippet=make_snippet(f"{cand.summary} — {cand.body}" if cand.summary else cand.body, meaningful),
        )
        for cand, score in ranked
        if cand.pk in articles
    ]


def snippet_pattern(terms: list[str]) -> re.Pattern | None:
    """Where the fallback's terms match: at the start of a word, and as a whole word when shorter
    than ``MIN_PREFIX_LENGTH`` (so "on" is never marked inside "connection")."""
    if not terms:
        return None
    parts = [
        rf"(?<!\w){re.escape(term)}" + ("" if len(term) >= MIN_PREFIX_LENGTH else r"(?!\w)")
        for term in sorted(terms, key=len, reverse=True)
    ]
    return re.compile("|".join(parts), re.IGNORECASE)


def make_snippet(text: str, terms: list[str], *, width: int = 220) -> SafeString:
    """An escaped excerpt of ``text`` around the first matching term, matches in ``<mark>``."""
    text = text or ""
    pattern = snippet_pattern(terms)
    if pattern is None:
        return mark_safe(str(escape(text[:width])))  # noqa: S308
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    excerpt = text[start : start + width]
    pieces, last = [], 0
    for match in pattern.finditer(excerpt):
        pieces.append(str(escape(excerpt[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(str(escape(excerpt[last:])))
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(text) else ""
    return mark_safe(prefix + "".join(pieces) + suffix)  # noqa: S308
