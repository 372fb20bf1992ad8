from django.db import migrations

PREFIXES = ("INC", "PRB", "PTASK", "CHG", "KB", "REQ")


def create_sequences(apps, schema_editor):
    # Native sequences on PostgreSQL (see core.numbering); SQLite uses the Sequence table.
    if schema_editor.connection.vendor != "postgresql":
        return
    for prefix in PREFIXES:
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS itsm_number_{prefix.lower()} START 1000")


def drop_sequences(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for prefix in PREFIXES:
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS itsm_number_{prefix.lower()}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_sequences, drop_sequences)]
