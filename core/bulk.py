"""Fast multi-row INSERT of model instances, with their primary keys reserved up front.

Django's ``bulk_create`` prepares every value through the field machinery, which costs more than
the database work itself for tens of thousands of rows (the demo history, bulk SLA replays). This
writes the same rows with one ``executemany`` (SQLite) or ``execute_values`` (PostgreSQL) per
page. Primary keys come from the table's own sequence (or, on SQLite, above the highest one used,
inside the caller's write transaction), so the instances have them afterwards without RETURNING
and rows that refer to them can be written next.

Only plain columns are supported: no ``save()``, no signals, no field ``pre_save`` (set
``created_at`` and the like yourself). Call it inside a transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

from django.db import connection
from django.db.models import DateField, DateTimeField, JSONField, Model

PAGE = 1000


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` unused primary keys of ``model``'s table, increasing."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), model._meta.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        quoted = connection.ops.quote_name
        cursor.execute(f"SELECT coalesce(max({quoted(model._meta.pk.column)}), 0) FROM {quoted(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
            highest = max(highest, cursor.fetchone()[0])
    return list(range(highest + 1, highest + 1 + count))


def insert(objs: Sequence[Model]) -> None:
    """Insert ``objs`` (instances of one model) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    missing = [obj for obj in objs if obj.pk is None]
    for obj, pk in zip(missing, reserve_ids(model, len(missing)), strict=True):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    insert_values(
        model, [f.attname for f in fields], [tuple(getattr(obj, f.attname) for f in fields) for obj in objs]
    )


def insert_values(model: type[Model], names: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert plain rows: ``names`` are field names or attnames (``ticket_id``), ``rows`` tuples of
    Python values in that order (aware datetimes, dicts for JSON). Omitted fields get no default:
    name every column that has no database default (the primary key may be left out)."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]  # a name or an attname
    postgres = connection.vendor == "postgresql"
    converters = [_converter(f, postgres) for f in fields]
    prepared = [
        tuple(
            convert(value) if convert is not None and value is not None else value
            for convert, value in zip(converters, row, strict=True)
        )
        for row in rows
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if postgres:
            from psycopg2.extras import execute_values

            execute_values(
                cursor.cursor, f"INSERT INTO {table} ({columns}) VALUES %s", prepared, page_size=PAGE
            )
        else:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            for start in range(0, len(prepared), PAGE):
                cursor.executemany(sql, prepared[start : start + PAGE])


def _converter(field, postgres: bool):
    if isinstance(field, JSONField):
        if postgres:
            from psycopg2.extras import Json

            return lambda value: Json(value, dumps=json.dumps)
        return json.dumps
    if postgres:
        return None  # psycopg2 adapts aware datetimes and dates itself
    if isinstance(field, DateTimeField):
        return _sqlite_datetime
    if isinstance(field, DateField):
        return date.isoformat
    return None


def _sqlite_datetime(value: datetime) -> str:
    # As Django's SQLite backend stores them: naive UTC, ISO format with a space.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")
