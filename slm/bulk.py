"""Fast multi-row INSERT for the sweep's append-only rows (timeline entries, outbox rows).

Django's ``bulk_create`` prepares every value through its field machinery, which costs more than
the database work itself at 10,000 rows per sweep. On PostgreSQL this writes the same rows with
one ``INSERT … VALUES …`` per page (``psycopg2.extras.execute_values``); elsewhere it falls back to
``bulk_create``. Only plain columns are written: values must already be database-ready (aware
datetimes, JSON-serialisable dicts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import JSONField, Model


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence], *, ignore_conflicts=False
) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        names = [model._meta.get_field(name).attname for name in fields]  # "ticket" -> "ticket_id"
        objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts, batch_size=1000)
        return
    from psycopg2.extras import Json, execute_values

    meta = model._meta
    columns, json_positions = [], set()
    for i, name in enumerate(fields):
        field = meta.get_field(name)
        columns.append(f'"{field.column}"')
        if isinstance(field, JSONField):
            json_positions.add(i)
    prepared = [
        tuple(Json(v, dumps=json.dumps) if i in json_positions else v for i, v in enumerate(row))
        for row in rows
    ]
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f'INSERT INTO "{meta.db_table}" ({", ".join(columns)}) VALUES %s{conflict}',
            prepared,
            page_size=1000,
        )
