from django.db import migrations

DEFAULT = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


def seed_matrix(apps, schema_editor):
    # The matrix is data that administrators edit in admin; start from DESIGN.md's default.
    Cell = apps.get_model("incidents", "PriorityMatrixCell")
    for (impact, urgency), priority in DEFAULT.items():
        Cell.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed_matrix, migrations.RunPython.noop)]
