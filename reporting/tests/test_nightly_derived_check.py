"""The nightly task runs the conversions' derived check before recounting the rollups."""

import logging
from decimal import Decimal

from conversions.models import Attribution
from conversions.tests.test_derived_check import DAY, _world
from reporting.tasks import rollup_repair_task


def test_credit_that_does_not_match_the_revenue_is_repaired_by_the_nightly_task(organization, caplog):
    _, broken = _world(organization)
    Attribution.objects.filter(conversion=broken).update(revenue=Decimal("3.40"))  # credit from the old revenue

    with caplog.at_level(logging.WARNING, logger="conversions.services.derived"):
        rollup_repair_task(since=DAY.isoformat(), until=DAY.isoformat())

    assert [row.revenue for row in Attribution.objects.filter(conversion=broken)] == [Decimal("30.00")]
    assert "credited revenue [Decimal('3.40')] instead of [Decimal('30.00')]" in caplog.text
