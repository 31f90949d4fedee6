"""Reporting state: the daily rollup buckets. The marks of days whose rollups are stale are written by the
apps that change conversions (``conversions.models.RollupMark``); reporting only reads and drains them.

Two rollups, both one row per organization × local day × bucket dimensions, rebuilt a whole day at a time by
delete + one ``INSERT … SELECT … GROUP BY`` (see ``services.rollup_rebuild_days``), so a rerun never
double-counts:

- ``ConversionRollup``: every conversion, bucketed by currency × country × type × status.
- ``CreditRollup``: the attributed credit (``Attribution`` rows), bucketed by campaign × delivery × currency ×
  country × type × status, for reports filtered by ``campaignId`` / ``deliveryId``.

What the rollups deliberately do not hold, and why (reports read these from raw rows, through covering indexes):

- Distinct contacts. A distinct count does not add up across buckets or days; the only exact rollup for it is one
  row per contact × day × dimensions, which at realistic volumes (a contact converts a few times a year) is as
  large as the conversions table itself. Reports count them from raw rows through the covering index
  ``conversion_report_covering`` (see migration ``0003``), an index-only scan.
- The local hour. ``uniqueContacts`` per hour of the day needs the raw scan anyway (distinct again), and an hour
  dimension would multiply the buckets by up to 24, making the rollup about as large as the raw rows.
"""

from django.db import models

from accounts.models import Organization

BUCKET_MONEY_MAX_DIGITS = 30  # sums of many 24-digit reference amounts
BUCKET_CREDIT_NUMBER_DECIMAL_PLACES = 12  # count × weight, weights have 12 decimals


def _money_field():
    return models.DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=2, default=0)


def _refunded_field():
    """A refunded sum; its database default lets rollups written by plain SQL (the benchmark's) leave it out."""
    return models.DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=2, default=0, db_default=0)


class ConversionRollup(models.Model):
    """The conversions of one local day of one organization with the same currency, country, type and status.

    ``conversions_number`` is the sum of ``count``; the money columns are plain sums, with conversions whose
    reference amount is still unknown (no rate yet) contributing 0 to the reference sums. The ``refunded_*``
    columns sum what the conversions' refund ledgers gave back (counted on the conversion's day). ``rows_number`` is
    how many conversion rows the bucket holds (used by the nightly check, not by reports).
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2, blank=True, default="")
    type = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    rows_number = models.PositiveIntegerField(default=0)
    conversions_number = models.BigIntegerField(default=0)
    revenue = _money_field()
    revenue_without_tax = _money_field()
    reference_revenue = _money_field()
    reference_revenue_without_tax = _money_field()
    refunded_revenue = _refunded_field()
    refunded_revenue_without_tax = _refunded_field()
    reference_refunded_revenue = _refunded_field()
    reference_refunded_revenue_without_tax = _refunded_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "currency", "country", "type", "status"],
                name="conversionrollup_unique_bucket",
                violation_error_message="This rollup bucket already exists.",
            )
        ]
        indexes = [models.Index(fields=["organization", "status", "day"], name="convrollup_org_status_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.currency} {self.country} {self.type} {self.status}"


class CreditRollup(models.Model):
    """The credit given to one campaign × delivery pair on one local day, per currency, country, type and status.

    Built from ``Attribution`` rows: money columns are sums of the credited amounts (amount × weight, split to
    the cent by the attribution service) and ``conversions_number`` is the attributed number of conversions,
    the sum of ``count × weight`` (so a conversion split 50/50 counts ½ for each target and the targets add
    up to the whole). Rows of a deleted campaign or delivery go with it (CASCADE), exactly as their
    ``Attribution`` rows do, so the rollup never holds credit the raw rows no longer have.
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # Indexed below with the day, which serves both the reports and the CASCADE deletes.
    campaign = models.ForeignKey(
        "conversions.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    delivery = models.ForeignKey(
        "conversions.Delivery", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2, blank=True, default="")
    type = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    rows_number = models.PositiveIntegerField(default=0)
    conversions_number = models.DecimalField(
        max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=BUCKET_CREDIT_NUMBER_DECIMAL_PLACES, default=0
    )
    revenue = _money_field()
    revenue_without_tax = _money_field()
    reference_revenue = _money_field()
    reference_revenue_without_tax = _money_field()
    refunded_revenue = _refunded_field()
    refunded_revenue_without_tax = _refunded_field()
    reference_refunded_revenue = _refunded_field()
    reference_refunded_revenue_without_tax = _refunded_field()

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "day"], name="creditrollup_campaign_day"),
            models.Index(fields=["delivery", "day"], name="creditrollup_delivery_day"),
            models.Index(fields=["organization", "day"], name="creditrollup_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.campaign_id}/{self.delivery_id} {self.currency} {self.status}"


class ComparisonRollup(models.Model):
    """The credit every attribution model would give, per local day × model × campaign × delivery × currency ×
    country × type × status, over the conversions without explicit credit (the model comparison report).

    Computed in Python (the models are Python: ``conversions.attribution.choose_credit`` and ``split_money`` over
    the candidates of ``conversions.services.conversions_candidates``) by ``reporting.comparison``, the same
    function the report runs over dirty days, and replaced a whole day at a time with the other rollups. A
    conversion without any candidate is a row with neither campaign nor delivery (under every model), so each
    model's rows of a day add up to that day's conversions. Measures as in ``CreditRollup``.
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    model = models.CharField(max_length=20)
    campaign = models.ForeignKey(
        "conversions.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    delivery = models.ForeignKey(
        "conversions.Delivery", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2, blank=True, default="")
    type = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    rows_number = models.PositiveIntegerField(default=0)
    conversions_number = models.DecimalField(
        max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=BUCKET_CREDIT_NUMBER_DECIMAL_PLACES, default=0
    )
    revenue = _money_field()
    revenue_without_tax = _money_field()
    reference_revenue = _money_field()
    reference_revenue_without_tax = _money_field()
    refunded_revenue = _refunded_field()
    refunded_revenue_without_tax = _refunded_field()
    reference_refunded_revenue = _refunded_field()
    reference_refunded_revenue_without_tax = _refunded_field()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "day"], name="comparisonrollup_org_day"),
            models.Index(fields=["campaign"], name="comparisonrollup_campaign"),
            models.Index(fields=["delivery"], name="comparisonrollup_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model} {self.campaign_id}/{self.delivery_id} {self.currency} {self.status}"
