"""The rollup marks move from reporting to conversions (the app that writes them); the table stays as it is."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("conversions", "0001_initial"),
        ("reporting", "0005_credit_rollup_target_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RollupMark",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("day", models.DateField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.organization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reporting_rollupmark",
                        "indexes": [models.Index(fields=["organization", "day"], name="rollupmark_org_day")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
