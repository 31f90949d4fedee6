"""Migration 0005_refund_ledger: conversions already ``refunded`` get the ledger entry that status now means."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("conversions", "0004_campaign_delivery_external_id"), ("reporting", "0006_rollupmark_moved_to_conversions")]
AFTER = [("conversions", "0005_refund_ledger")]


@pytest.mark.django_db(transaction=True)
def test_existing_refunded_conversions_get_their_refund():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Organization = apps.get_model("accounts", "Organization")
    Conversion = apps.get_model("conversions", "Conversion")
    organization = Organization.objects.create(slug="old", name="Old", reference_currency="EUR", timezone="UTC")
    common = {
        "organization": organization,
        "currency": "CZK",
        "reference_currency": "EUR",
        "converted_at": datetime(2024, 5, 1, 10, tzinfo=UTC),
        "converted_date": date(2024, 5, 1),
    }
    refunded = Conversion.objects.create(
        status="refunded", revenue=Decimal("250.00"), revenue_without_tax=Decimal("200.00"),
        reference_revenue=Decimal("10.00"), reference_revenue_without_tax=Decimal("8.00"), **common,
    )  # fmt: skip
    approved = Conversion.objects.create(
        status="approved", revenue=Decimal("5.00"), revenue_without_tax=Decimal("5.00"),
        reference_revenue=Decimal("0.20"), reference_revenue_without_tax=Decimal("0.20"), **common,
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Conversion = apps.get_model("conversions", "Conversion")
    Refund = apps.get_model("conversions", "Refund")
    RollupMark = apps.get_model("conversions", "RollupMark")
    refund = Refund.objects.get()
    assert (refund.conversion_id, refund.amount, refund.amount_without_tax, refund.reason) == (
        refunded.pk, Decimal("250.00"), Decimal("200.00"), "other",
    )  # fmt: skip
    migrated = Conversion.objects.get(pk=refunded.pk)
    assert (migrated.refunded_revenue, migrated.reference_refunded_revenue) == (Decimal("250.00"), Decimal("10.00"))
    untouched = Conversion.objects.get(pk=approved.pk)
    assert (untouched.refunded_revenue, untouched.reference_refunded_revenue) == (Decimal("0.00"), Decimal("0.00"))
    assert RollupMark.objects.filter(organization_id=organization.pk, day=date(2024, 5, 1)).exists()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect it
