import threading

import pytest
from django.db import connection, connections

from core.numbering import next_number


@pytest.mark.django_db
def test_numbers_have_prefix_and_seven_digits_and_increase():
    first, second = next_number("INC"), next_number("INC")
    assert first.startswith("INC") and len(first) == 10
    assert int(second[3:]) > int(first[3:])


@pytest.mark.django_db
def test_prefixes_count_independently():
    inc = next_number("INC")
    chg = next_number("CHG")
    assert chg.startswith("CHG") and inc.startswith("INC")


def test_bad_prefix_is_refused():
    with pytest.raises(ValueError):
        next_number("inc; drop table")


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_never_get_the_same_number():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency of native sequences is a PostgreSQL property; SQLite serialises writers")
    results, errors = [], []

    def worker():
        try:
            for _ in range(50):
                results.append(next_number("INC"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 400
    assert len(set(results)) == 400
