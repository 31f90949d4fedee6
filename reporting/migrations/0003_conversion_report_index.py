"""A covering index for the report queries that must read raw conversion rows (PostgreSQL only).

Reports read from the rollups for clean days, but distinct contacts (which no additive rollup can give), the
hour-of-day timeframe and still-dirty days come from raw rows. This index lets PostgreSQL answer all of them
with an index-only scan: ``organization, status`` equality, ``converted_date`` range, and every column those
queries group, count or sum carried in INCLUDE (``id`` too, for the semi-join of credit-filtered counts). It
lives here, with the reads it serves, rather than in the conversions app; SQLite (development) does without.
"""

from django.db import migrations

INDEX_NAME = "conversion_report_covering"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON conversions_conversion (organization_id, status, converted_date) "
    "INCLUDE (id, contact_id, currency, country, type, converted_at, count, revenue, revenue_without_tax, "
    "reference_revenue, reference_revenue_without_tax)"
)
DROP = f"DROP INDEX IF EXISTS {INDEX_NAME}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_rollups"),
        ("conversions", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
