"""Ticket numbers: a prefix and 7 digits (INC0001042), unique, gap-tolerant, safe under concurrency.

On PostgreSQL each prefix has a native sequence: ``nextval`` never blocks another transaction and
never hands out a value twice (a rolled-back transaction leaves a gap, which is allowed). On SQLite
writes are serialised by the database lock, so a counter row is enough.
"""

from __future__ import annotations

import re

from django.db import ProgrammingError, connection, transaction

from core.models import Sequence

KNOWN_PREFIXES = ("INC", "PRB", "PTASK", "CHG", "KB", "REQ")
_PREFIX = re.compile(r"^[A-Z]{2,5}$")


def _sequence_name(prefix: str) -> str:
    return f"itsm_number_{prefix.lower()}"


def next_value(prefix: str) -> int:
    if not _PREFIX.match(prefix):
        raise ValueError(f"bad number prefix {prefix!r}")
    if connection.vendor == "postgresql":
        name = _sequence_name(prefix)
        with connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    cursor.execute("SELECT nextval(%s)", [name])
                    return cursor.fetchone()[0]
            except ProgrammingError:
                # A prefix without a migrated sequence (KNOWN_PREFIXES are created by migration).
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START 1000")
                cursor.execute("SELECT nextval(%s)", [name])
                return cursor.fetchone()[0]
    with transaction.atomic():
        Sequence.objects.get_or_create(name=prefix, defaults={"last_value": 999})
        row = Sequence.objects.select_for_update().get(name=prefix)
        row.last_value += 1
        row.save(update_fields=["last_value"])
        return row.last_value


def next_number(prefix: str, digits: int = 7) -> str:
    return f"{prefix}{next_value(prefix):0{digits}d}"
