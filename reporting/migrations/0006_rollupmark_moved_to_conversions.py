"""The rollup marks now belong to conversions (``conversions.0002``); only the model state leaves reporting."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_credit_rollup_target_indexes"),
        ("conversions", "0002_rollupmark"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RollupMark")],
            database_operations=[],
        ),
    ]
