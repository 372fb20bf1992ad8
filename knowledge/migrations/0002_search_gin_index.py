"""The GIN index over ``search_vector``: PostgreSQL only (SQLite search is the simple fallback).

``fastupdate = off``: articles are written rarely and searched constantly. With the default
pending list, every search would also scan the not-yet-merged entries linearly until the next
vacuum, which made searches several times slower right after bulk imports.
"""

from django.db import migrations

INDEX = "kb_article_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON knowledge_article USING GIN (search_vector) "
        "WITH (fastupdate = off)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
