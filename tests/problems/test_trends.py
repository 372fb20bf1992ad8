"""Trend detection maths (no database): normalising, TF-IDF, grouping, clustering, determinism."""

import pytest

from problems.trends import (
    Doc,
    find_clusters,
    fingerprint,
    overlap_ratio,
    stem,
    term_similarity,
    terms,
    tfidf,
)
from tests.problems import trend_data

SERVICES = {"email": 1, "vpn": 2}
CATEGORIES = {"printer": 10, "network": 11, "software": 12}


def docs_from(rows, window_days=14):
    return [
        Doc(index, text, SERVICES.get(svc), CATEGORIES.get(cat), ci)
        for index, (_key, text, svc, cat, ci, days) in enumerate(rows)
        if days <= window_days
    ]


def test_terms_drop_numbers_stop_words_and_fold_accents():
    assert terms("Printer on floor 3 is jammed!") == ["print", "flo", "jam"]
    assert terms("Skrivaren på plan 3 fungerar inte") == terms("skrivaren pa plan 3 fungerar inte")
    assert "inte" not in terms("Skrivaren fungerar inte")


def test_stemming_joins_word_forms():
    assert stem("disconnects") == stem("disconnecting") == stem("disconnected") == "disconnect"
    assert stem("jammed") == stem("jams") == "jam"


def test_tfidf_vectors_are_unit_length():
    vectors = tfidf([Doc(1, "VPN drops"), Doc(2, "VPN slow"), Doc(3, "the")])
    for vector in (vectors[1], vectors[2]):
        assert sum(w * w for w in vector.values()) == pytest.approx(1.0)
    assert vectors[3] == {}


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_finds_exactly_the_three_planted_clusters_among_noise(seed):
    rows = trend_data.rows(seed)
    clusters = find_clusters(docs_from(rows), min_size=3, similarity=0.35)
    found = sorted(sorted(rows[m][0] for m in c.members) for c in clusters)
    expected = sorted([key] * len(items) for key, items in trend_data.PLANTED.items())
    assert found == expected
    kinds = {rows[c.members[0]][0]: c.kind for c in clusters}
    assert kinds == {"printer": "category", "vpn": "service", "drive": "ci"}


def test_decoys_are_not_clusters():
    rows = [(None, *decoy) for decoy in trend_data.DECOYS]
    assert find_clusters(docs_from(rows), min_size=3) == []


def test_old_incidents_would_cluster_but_are_outside_the_window():
    rows = [("old", *row) for row in trend_data.OLD]
    assert len(find_clusters(docs_from(rows, window_days=60), min_size=3)) == 1
    assert find_clusters(docs_from(rows), min_size=3) == []


def test_minimum_size_is_respected():
    rows = trend_data.rows(7)
    sizes = sorted(len(c.members) for c in find_clusters(docs_from(rows), min_size=5))
    assert sizes == [5, 6]  # the four VPN incidents are too few


def test_result_is_deterministic_whatever_the_input_order():
    rows = trend_data.rows(7)
    docs = docs_from(rows)
    first = find_clusters(docs)
    second = find_clusters(list(reversed(docs)))
    assert [(c.members, c.terms, c.score, c.fingerprint) for c in first] == [
        (c.members, c.terms, c.score, c.fingerprint) for c in second
    ]


def test_same_text_found_through_service_and_category_is_one_cluster():
    docs = [Doc(i, "Outlook crashes when opening attachments", service=1, category=12) for i in range(4)]
    clusters = find_clusters(docs)
    assert len(clusters) == 1 and clusters[0].kind == "service"


def test_cluster_describes_itself():
    docs = [Doc(i, text, category=10) for i, (text, *_rest) in enumerate(trend_data.PLANTED["printer"])]
    (cluster,) = find_clusters(docs)
    assert set(cluster.words) >= {"printer", "paper", "floor"}
    assert 0 < cluster.cohesion <= 1 and cluster.score == pytest.approx(5 * cluster.cohesion, abs=1e-3)
    assert cluster.title_id in cluster.members
    assert cluster.fingerprint == fingerprint("category", 10, cluster.terms)


def test_overlap_and_term_similarity():
    assert overlap_ratio([1, 2, 3], [2, 3, 4, 5]) == pytest.approx(2 / 3)
    assert overlap_ratio([], [1]) == 0
    assert term_similarity(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        find_clusters([], min_size=1)
    with pytest.raises(ValueError):
        find_clusters([], similarity=0)
