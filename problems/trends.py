"""Trend detection as pure maths: clusters of similar incidents that share a service, category or CI.

No database here (``problems.services.detect_trends`` feeds it and stores the result), so the
algorithm is tested on its own and is deterministic: the same input always gives the same
clusters in the same order.

1. Each short description is normalised (lower case, accents folded, numbers and stop words
   dropped, a light English/Swedish suffix stemmer) into terms.
2. Terms are weighted TF-IDF over all incidents of the window (sub-linear tf, smoothed idf) and
   each vector is L2-normalised, so the dot product of two vectors is their cosine similarity.
3. Incidents are grouped by what they share: configuration item, service, category. Inside each
   group, DBSCAN over cosine similarity finds the clusters. Two incidents are neighbours when
   their cosine similarity is at least ``similarity`` and they share at least two terms (one
   common word such as "slow" is a coincidence). An incident with at least ``min_size - 1``
   neighbours is a core; cores that are neighbours join one cluster, and their other neighbours
   join it as border members.
4. One set of incidents is often found in several groups (same service *and* same category);
   clusters are taken in order of size and specificity (CI before service before category) and
   one that mostly repeats an already taken cluster is dropped.

Score = members x cohesion (mean cosine similarity of the members to their centroid), so a
larger or tighter cluster ranks higher.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Two descriptions are alike only if they also share this many terms (fewer if one is shorter):
# one common word ("broken", "slow") is a coincidence, not a recurring incident.
MIN_SHARED_TERMS = 2

# Kinds of shared attribute, most specific first.
KIND_ORDER = ("ci", "service", "category")


def _fold(text: str) -> str:
    """Lower case without accents (å → a), so Swedish and English typing variants match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STOP_WORDS = frozenset(
    _fold(word)
    for word in """
    a about after again all also am an and any are as at be been before being but by can cannot
    could did do does doing down during each for from get gets getting got had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of
    off on once only or other our out over own same she should so some still such than that the
    their them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours please hi hello
    again anymore keeps keep since today yesterday morning afternoon help issue problem error
    och att det som en ett är på för med av till den inte har jag kan vi om var ska så de men
    från eller när sig här nu hos mig min mitt mina vår våra ni er han hon dem denna detta dessa
    igen längre idag igår fortfarande hjälp problem fel
    """.split()
)

_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = (
    "ingen",
    "ning",
    "ing",
    "ies",
    "ied",
    "arna",
    "erna",
    "orna",
    "ade",
    "ed",
    "es",
    "ar",
    "er",
    "or",
    "s",
)


def stem(token: str) -> str:
    """A deliberately light stemmer: strips one common suffix, keeps stems of 3+ letters."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)]
            break
    if len(token) > 3 and token[-1] == token[-2] and token[-1] not in "aeiouy":
        token = token[:-1]  # jamm(ed) -> jam, stopp(ed) -> stop
    return token


def _pairs(text: str) -> list[tuple[str, str]]:
    """(term, the word it came from) for each meaningful word of a short description."""
    result = []
    for token in _TOKEN.findall(_fold(text or "")):
        if token.isdigit() or len(token) < 2 or token in STOP_WORDS:
            continue
        stemmed = stem(token)
        if stemmed in STOP_WORDS:
            continue
        result.append((stemmed, token))
    return result


def terms(text: str) -> list[str]:
    """The normalised terms of a short description."""
    return [term for term, _word in _pairs(text)]


def normalise_ci(value: str) -> str:
    return " ".join(_fold(value or "").split())


@dataclass(frozen=True)
class Doc:
    """One incident as the detector sees it."""

    id: int
    text: str
    service: int | None = None
    category: int | None = None
    ci: str = ""


@dataclass
class Cluster:
    kind: str  # "ci", "service" or "category"
    key: int | str  # the shared service id, category id or normalised CI
    members: list[int]  # incident ids, ascending
    terms: list[str]  # the centroid's strongest terms (stems)
    cohesion: float  # mean cosine similarity of members to the centroid
    title_id: int  # the member closest to the centroid (its text titles the cluster)
    words: list[str] = field(default_factory=list)  # the terms as people wrote them, for display
    score: float = field(init=False)

    def __post_init__(self) -> None:
        self.score = round(len(self.members) * self.cohesion, 4)

    @property
    def group(self) -> tuple[str, int | str]:
        return (self.kind, self.key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.key, self.terms)


def fingerprint(kind: str, key: int | str, main_terms: Sequence[str]) -> str:
    """What the cluster is about: the shared attribute and its three strongest terms (sorted)."""
    raw = f"{kind}:{key}:{' '.join(sorted(main_terms[:3]))}"
    return hashlib.sha256(raw.encode()).hexdigest()


Vector = dict[str, float]


def tfidf(docs: Sequence[Doc]) -> dict[int, Vector]:
    """L2-normalised TF-IDF vectors (sub-linear tf, smoothed idf) of the documents."""
    tokens = {doc.id: terms(doc.text) for doc in docs}
    df: Counter[str] = Counter()
    for words in tokens.values():
        df.update(set(words))
    n = len(docs)
    vectors: dict[int, Vector] = {}
    for doc_id, words in tokens.items():
        counts = Counter(words)
        vector = {
            term: (1.0 + math.log(count)) * (math.log((1 + n) / (1 + df[term])) + 1.0)
            for term, count in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in vector.values()))
        vectors[doc_id] = {t: w / norm for t, w in vector.items()} if norm else {}
    return vectors


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _neighbours(ids: Sequence[int], vectors: dict[int, Vector], threshold: float) -> dict[int, list[int]]:
    """For each id, the other ids at ``threshold`` similarity or more that share enough terms.

    Dot products are accumulated through an inverted index, so only pairs with a common term are
    ever compared.
    """
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for doc_id in ids:
        for term, weight in vectors[doc_id].items():
            postings[term].append((doc_id, weight))
    result: dict[int, list[int]] = {}
    for doc_id in ids:
        scores: dict[int, float] = defaultdict(float)
        shared: Counter[int] = Counter()
        for term, weight in vectors[doc_id].items():
            for other, other_weight in postings[term]:
                if other != doc_id:
                    scores[other] += weight * other_weight
                    shared[other] += 1
        size = len(vectors[doc_id])
        result[doc_id] = sorted(
            other
            for other, score in scores.items()
            if score >= threshold - 1e-9 and shared[other] >= min(MIN_SHARED_TERMS, size, len(vectors[other]))
        )
    return result


def _dbscan(ids: Sequence[int], neighbours: dict[int, list[int]], min_size: int) -> list[list[int]]:
    """Density clusters (DBSCAN with min_samples = min_size, counting the point itself)."""
    core = {i for i in ids if len(neighbours[i]) + 1 >= min_size}
    assigned: set[int] = set()
    clusters = []
    for start in ids:  # ids ascending: deterministic
        if start not in core or start in assigned:
            continue
        members = {start}
        assigned.add(start)
        frontier = [start]
        while frontier:
            current = frontier.pop()
            for other in neighbours[current]:
                if other in assigned:
                    continue
                assigned.add(other)
                members.add(other)
                if other in core:
                    frontier.append(other)
        if len(members) >= min_size:
            clusters.append(sorted(members))
    return clusters


def _centroid(members: Iterable[int], vectors: dict[int, Vector]) -> Vector:
    total: dict[str, float] = defaultdict(float)
    count = 0
    for doc_id in members:
        count += 1
        for term, weight in vectors[doc_id].items():
            total[term] += weight
    return {t: w / count for t, w in total.items()} if count else {}


def _surface_words(docs: Sequence[Doc]) -> dict[str, str]:
    """Each term's most frequent original word ("jam" shown as "jammed" if that is what people wrote)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in docs:
        for term, word in _pairs(doc.text):
            seen[term][word] += 1
    return {term: min(words.items(), key=lambda item: (-item[1], item[0]))[0] for term, words in seen.items()}


def _describe(
    kind: str, key, members: list[int], vectors: dict[int, Vector], words: dict[str, str]
) -> Cluster:
    centroid = _centroid(members, vectors)
    norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
    unit = {t: w / norm for t, w in centroid.items()}
    similarities = {m: cosine(vectors[m], unit) for m in members}
    cohesion = sum(similarities.values()) / len(members)
    title_id = min(members, key=lambda m: (-round(similarities[m], 9), m))
    main_terms = [t for t, _w in sorted(centroid.items(), key=lambda item: (-round(item[1], 9), item[0]))[:5]]
    return Cluster(
        kind=kind,
        key=key,
        members=members,
        terms=main_terms,
        cohesion=round(cohesion, 4),
        title_id=title_id,
        words=[words.get(term, term) for term in main_terms],
    )


def _groups(docs: Sequence[Doc]) -> dict[tuple[str, int | str], list[int]]:
    groups: dict[tuple[str, int | str], list[int]] = defaultdict(list)
    for doc in docs:
        ci = normalise_ci(doc.ci)
        if ci:
            groups[("ci", ci)].append(doc.id)
        if doc.service is not None:
            groups[("service", doc.service)].append(doc.id)
        if doc.category is not None:
            groups[("category", doc.category)].append(doc.id)
    return groups


def find_clusters(
    docs: Sequence[Doc], *, min_size: int = 3, similarity: float = 0.35, max_overlap: float = 0.5
) -> list[Cluster]:
    """Clusters of at least ``min_size`` similar documents that share a CI, service or category.

    A cluster whose members are more than ``max_overlap`` already in a cluster taken before it
    (larger, or as large and more specific) is the same trend seen from another angle and is
    dropped. Returned by descending score, then group.
    """
    if min_size < 2:
        raise ValueError("min_size must be at least 2")
    if not 0 < similarity <= 1:
        raise ValueError("similarity must be in (0, 1]")
    docs = sorted({doc.id: doc for doc in docs}.values(), key=lambda d: d.id)
    vectors = tfidf(docs)
    words = _surface_words(docs)
    found: list[Cluster] = []
    for (kind, key), ids in _groups(docs).items():
        ids = sorted(i for i in ids if vectors[i])
        if len(ids) < min_size:
            continue
        for members in _dbscan(ids, _neighbours(ids, vectors, similarity), min_size):
            found.append(_describe(kind, key, members, vectors, words))
    found.sort(key=lambda c: (-len(c.members), KIND_ORDER.index(c.kind), str(c.key), c.members[0]))
    taken: list[Cluster] = []
    covered: set[int] = set()
    for cluster in found:
        overlap = sum(1 for m in cluster.members if m in covered)
        if overlap > max_overlap * len(cluster.members):
            continue
        taken.append(cluster)
        covered.update(cluster.members)
    taken.sort(key=lambda c: (-c.score, KIND_ORDER.index(c.kind), str(c.key), c.members[0]))
    return taken


def overlap_ratio(a: Iterable[int], b: Iterable[int]) -> float:
    """Shared members relative to the smaller of the two sets (1.0: one contains the other)."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0
    return len(set_a & set_b) / min(len(set_a), len(set_b))


def term_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard similarity of two clusters' main terms."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0
    return len(set_a & set_b) / len(set_a | set_b)
