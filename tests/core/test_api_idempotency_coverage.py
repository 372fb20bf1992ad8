"""Every API operation that creates something honours Idempotency-Key (and every later one will)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_every_creating_post_takes_an_idempotency_key():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    creating = {
        path: operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "post" and "201" in operation["responses"]
    }
    assert len(creating) >= 12
    missing = [
        path
        for path, operation in creating.items()
        if "Idempotency-Key"
        not in {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
    ]
    assert missing == []
    for operation in creating.values():
        assert {"409", "422", "429"} <= set(operation["responses"])
