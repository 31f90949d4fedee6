"""Campaigns, deliveries, touchpoints, conversions, the credit they earn (attribution) and exchange rates."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import (
    ATTRIBUTION_WINDOW_DEFAULT_DAYS,
    ATTRIBUTION_WINDOW_MAX_DAYS,
    ATTRIBUTION_WINDOW_MIN_DAYS,
    AttributionModel,
    Organization,
    TenantModel,
)
from core.history import audited
from core.validators import validate_country, validate_currency, validate_language

COUNT_MIN = 1
TOUCHPOINT_EXTERNAL_ID_MAX_LENGTH = 255
TARGET_EXTERNAL_ID_MAX_LENGTH = 100  # a campaign's or delivery's id in the customer's other systems
COUNT_MAX = 1_000_000
MONEY_MAX_DIGITS = 14  # twelve digits before the decimal point: 999,999,999,999.99
MONEY_DECIMAL_PLACES = 2
MONEY_MAX = Decimal("999999999999.99")
CENT = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)  # the smallest amount: every amount is rounded to it
REFERENCE_MONEY_MAX_DIGITS = 24  # reference amounts may be many times larger after conversion
WEIGHT_MAX_DIGITS = 13
WEIGHT_DECIMAL_PLACES = 12
ORDER_ID_MAX_LENGTH = 255
ORIGIN_MAX_LENGTH = 50
COUPON_CODE_MAX_LENGTH = 100
NOTES_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 255
# The money a conversion's credit rows split by weight (same names on Conversion and Attribution).
CREDITED_MONEY_FIELDS = (
    "revenue",
    "revenue_without_tax",
    "reference_revenue",
    "reference_revenue_without_tax",
    "refunded_revenue",
    "refunded_revenue_without_tax",
    "reference_refunded_revenue",
    "reference_refunded_revenue_without_tax",
)
REFERENCE_MONEY_FIELDS = (
    "reference_revenue",
    "reference_revenue_without_tax",
    "reference_refunded_revenue",
    "reference_refunded_revenue_without_tax",
)
REFUND_NOTE_MAX_LENGTH = 2000
REFUND_EXTERNAL_REF_MAX_LENGTH = 255


class Campaign(TenantModel):
    """A one-off e-mail send."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(max_length=2, blank=True, default="", validators=[validate_language])
    sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(
        max_length=TARGET_EXTERNAL_ID_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="The id the customer's other systems use for this campaign: unique per organization when set.",
    )

    history = audited()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="campaign_org_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=Q(external_id__isnull=False),
                name="campaign_unique_external_id",
                violation_error_message="A campaign with this external_id already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(TenantModel):
    """One automated (smartflow) or campaign send; credit to it counts for its campaign too."""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", "Campaign"
        SMARTFLOW = "smartflow", "Smartflow"

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SMARTFLOW)
    language = models.CharField(max_length=2, blank=True, default="", validators=[validate_language])
    external_id = models.CharField(
        max_length=TARGET_EXTERNAL_ID_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="The id the customer's other systems use for this delivery: unique per organization when set.",
    )

    history = audited()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["organization", "-created_at"], name="delivery_org_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=Q(external_id__isnull=False),
                name="delivery_unique_external_id",
                violation_error_message="A delivery with this external_id already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Touchpoint(TenantModel):
    """Something a contact did with a campaign or delivery; opens and clicks are attribution candidates."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        OPEN = "open", "Open"
        CLICK = "click", "Click"

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="touchpoints")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    external_id = models.CharField(
        max_length=TOUCHPOINT_EXTERNAL_ID_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="The sender's id of this event: unique per organization when set, the deduplication key.",
    )
    is_machine = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The sender's flag for an open by a privacy proxy or a bot, not by the contact.",
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(delivery__isnull=False),
                name="touchpoint_has_target",
                violation_error_message="A touchpoint needs a campaign or a delivery.",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=Q(external_id__isnull=False),
                name="touchpoint_unique_external_id",
                violation_error_message="A touchpoint with this external_id already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "occurred_at"], name="touchpoint_contact_time"),
            models.Index(fields=["organization", "-occurred_at"], name="touchpoint_org_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.contact_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Conversion(TenantModel):
    """A purchase, sign-up, upgrade or other event and the revenue it brought.

    ``converted_date`` is the day of ``converted_at`` in the organization's time zone, kept so that reports
    and rollups cut days without a time-zone conversion per row. Reference amounts are in the organization's
    reference currency at the rate of that day, ``null`` while no rate is known.

    The ``refunded_*`` columns are the sums of the conversion's refund ledger (``Refund``), kept on the row by the
    refund service under the conversion's row lock, so limits are checked and reports summed without a join.
    """

    class Type(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        SIGNUP = "signup", "Sign-up"
        UPGRADE = "upgrade", "Upgrade"
        CUSTOM = "custom", "Custom"

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Pending"
        REJECTED = "rejected", "Rejected"
        REFUNDED = "refunded", "Refunded"

    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversions"
    )
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.CUSTOM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPROVED)
    count = models.PositiveIntegerField(default=1)
    revenue = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2, default=Decimal("0.00"))
    revenue_without_tax = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2, default=Decimal("0.00"))
    payout = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    reference_currency = models.CharField(max_length=3, editable=False)
    reference_revenue = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True, editable=False
    )
    reference_revenue_without_tax = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True, editable=False
    )
    reference_rate = models.DecimalField(
        max_digits=30,
        decimal_places=12,
        null=True,
        blank=True,
        editable=False,
        help_text="Reference currency units per unit of the conversion's currency, at its date.",
    )
    # The database default too, so rows loaded by raw SQL (bulk loads, the benchmark) have no refunds.
    refunded_revenue = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        editable=False,
        help_text="Sum of the refund ledger's amounts (tax included), in the conversion's currency.",
    )
    refunded_revenue_without_tax = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        editable=False,
    )
    reference_refunded_revenue = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True, editable=False
    )
    reference_refunded_revenue_without_tax = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True, editable=False
    )
    order_id = models.CharField(max_length=ORDER_ID_MAX_LENGTH, null=True, blank=True)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attribution_model = models.CharField(
        max_length=20, choices=AttributionModel.choices, default=AttributionModel.LAST_TOUCH
    )
    attribution_window = models.PositiveSmallIntegerField(default=ATTRIBUTION_WINDOW_DEFAULT_DAYS)
    attribution_window_explicit = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="Whether attribution_window was given for this conversion: then it is the window of clicks and "
        "opens alike; otherwise the organization's per-kind windows apply and attribution_window only reports "
        "the organization's default.",
    )
    origin = models.CharField(max_length=ORIGIN_MAX_LENGTH, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="", validators=[validate_country])
    coupon_code = models.CharField(max_length=COUPON_CODE_MAX_LENGTH, blank=True, default="")
    notes = models.TextField(max_length=NOTES_MAX_LENGTH, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    converted_at = models.DateTimeField()
    converted_date = models.DateField(editable=False, help_text="Day of converted_at in the organization's zone.")

    history = audited()

    class Meta:
        ordering = ["-converted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "order_id"],
                condition=Q(order_id__isnull=False),
                name="conversion_unique_order_id_per_organization",
                violation_error_message="A conversion with this order_id already exists.",
            ),
            models.CheckConstraint(
                condition=Q(count__gte=COUNT_MIN, count__lte=COUNT_MAX),
                name="conversion_count_range",
                violation_error_message="count must be between 1 and 1,000,000.",
            ),
            models.CheckConstraint(
                condition=Q(revenue__gte=0, revenue_without_tax__gte=0)
                & Q(revenue_without_tax__lte=models.F("revenue")),
                name="conversion_revenue_range",
                violation_error_message="Revenues must be ≥ 0 and revenue_without_tax ≤ revenue.",
            ),
            models.CheckConstraint(
                condition=Q(refunded_revenue__gte=0, refunded_revenue_without_tax__gte=0)
                & Q(refunded_revenue__lte=models.F("revenue"))
                & Q(refunded_revenue_without_tax__lte=models.F("revenue_without_tax")),
                name="conversion_refunded_range",
                violation_error_message="Refunds must not exceed the revenue.",
            ),
            models.CheckConstraint(
                condition=Q(payout__isnull=True) | Q(payout__gte=0),
                name="conversion_payout_non_negative",
                violation_error_message="payout must be ≥ 0.",
            ),
            models.CheckConstraint(
                condition=Q(
                    attribution_window__gte=ATTRIBUTION_WINDOW_MIN_DAYS,
                    attribution_window__lte=ATTRIBUTION_WINDOW_MAX_DAYS,
                ),
                name="conversion_attribution_window_range",
                violation_error_message="attribution_window must be between 1 and 90 days.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-converted_at"], name="conversion_org_time"),
            models.Index(fields=["organization", "converted_date", "status"], name="conversion_org_day_status"),
            models.Index(fields=["contact", "converted_at"], name="conversion_contact_time"),
        ]

    def __str__(self) -> str:
        return self.order_id or f"{self.get_type_display()} {self.converted_at:%Y-%m-%d %H:%M}"

    @property
    def net_revenue(self) -> Decimal:
        return self.revenue - self.refunded_revenue

    @property
    def net_revenue_without_tax(self) -> Decimal:
        return self.revenue_without_tax - self.refunded_revenue_without_tax

    @property
    def reference_net_revenue(self) -> Decimal | None:
        if self.reference_revenue is None or self.reference_refunded_revenue is None:
            return None
        return self.reference_revenue - self.reference_refunded_revenue

    @property
    def reference_net_revenue_without_tax(self) -> Decimal | None:
        if self.reference_revenue_without_tax is None or self.reference_refunded_revenue_without_tax is None:
            return None
        return self.reference_revenue_without_tax - self.reference_refunded_revenue_without_tax


class Attribution(TenantModel):
    """The share of one conversion credited to a campaign and/or delivery.

    Weights of one conversion sum to exactly 1 and the credited amounts to the conversion's amounts to the cent
    (the remainder goes to the first rows), so reports over credit add up to reports over conversions.
    """

    conversion = models.ForeignKey(Conversion, on_delete=models.CASCADE, related_name="attributions")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    weight = models.DecimalField(max_digits=WEIGHT_MAX_DIGITS, decimal_places=WEIGHT_DECIMAL_PLACES)
    revenue = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2)
    revenue_without_tax = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2)
    reference_revenue = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True
    )
    reference_revenue_without_tax = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True
    )
    refunded_revenue = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )
    refunded_revenue_without_tax = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )
    reference_refunded_revenue = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True
    )
    reference_refunded_revenue_without_tax = models.DecimalField(
        max_digits=REFERENCE_MONEY_MAX_DIGITS, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["conversion", "-weight"]
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(delivery__isnull=False),
                name="attribution_has_target",
                violation_error_message="Credit goes to a campaign or a delivery.",
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0, weight__lte=1),
                name="attribution_weight_range",
                violation_error_message="A weight is in (0, 1].",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "conversion"], name="attribution_campaign"),
            models.Index(fields=["delivery", "conversion"], name="attribution_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.weight} of {self.conversion_id}"


class Refund(TenantModel):
    """One entry of a conversion's refund ledger: money given back, in the conversion's currency, tax included.

    Entries are never changed or deleted (the API answers 405, the admin shows them read-only). A mistaken refund
    is corrected by a *reversal*: a new entry that names it in ``reverses`` and carries the opposite (negative)
    amounts, so the ledger's plain sum is always what was refunded. A refund is reversed at most once (a unique
    one-to-one link), and a reversal cannot itself be reversed.
    """

    class Reason(models.TextChoices):
        RETURNED = "returned", "Returned"
        CANCELLED = "cancelled", "Cancelled"
        FRAUD = "fraud", "Fraud"
        CHARGEBACK = "chargeback", "Chargeback"
        GOODWILL = "goodwill", "Goodwill"
        OTHER = "other", "Other"

    conversion = models.ForeignKey(Conversion, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2)
    amount_without_tax = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=2)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.OTHER)
    note = models.TextField(max_length=REFUND_NOTE_MAX_LENGTH, blank=True, default="")
    external_ref = models.CharField(
        max_length=REFUND_EXTERNAL_REF_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="The shop's id of this refund: unique per organization when set, the deduplication key.",
    )
    refunded_at = models.DateTimeField()
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reversal",
        help_text="The refund this entry reverses (its amounts are the opposite of that refund's).",
    )

    history = audited()

    class Meta:
        ordering = ["-refunded_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="refund_unique_external_ref",
                violation_error_message="A refund with this external_ref already exists.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(reverses__isnull=True, amount__gt=0, amount_without_tax__gte=0)
                    & Q(amount_without_tax__lte=models.F("amount"))
                )
                | (
                    Q(reverses__isnull=False, amount__lt=0, amount_without_tax__lte=0)
                    & Q(amount_without_tax__gte=models.F("amount"))
                ),
                name="refund_amount_sign",
                violation_error_message="A refund is > 0 (a reversal < 0), and its amount without tax within it.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-refunded_at"], name="refund_org_time"),
            models.Index(fields=["conversion", "refunded_at"], name="refund_conversion_time"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.conversion_id}"


class ExchangeRate(models.Model):
    """Units of ``currency`` per 1 EUR on ``date`` (the ECB convention). Shared by all organizations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    date = models.DateField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    rate = models.DecimalField(max_digits=20, decimal_places=8)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "date"],
                name="exchange_rate_unique_currency_date",
                violation_error_message="A rate for this currency and date already exists.",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0), name="exchange_rate_positive", violation_error_message="A rate is > 0."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} 1 EUR = {self.rate} {self.currency}"


class RollupMark(models.Model):
    """One write touched this organization's local day, so its rollup buckets are stale until rebuilt.

    Written by the conversion services in the writer's own transaction (``conversion_days_mark``); the reporting
    app reads and drains the marks. It lives here because every app owns the records it writes.

    Several marks per day are allowed on purpose: writers only ever INSERT (no lock, no conflict), and the
    drain deletes exactly the marks it read, so a mark written while a day is being rebuilt survives and the
    day stays dirty (read from raw rows) until the next drain.
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "reporting_rollupmark"  # created by reporting before conversions owned it; the table stays
        indexes = [models.Index(fields=["organization", "day"], name="rollupmark_org_day")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.day}"


class ReattributionJob(TenantModel):
    """A re-attribution of one organization's conversions over a range of local days with its current defaults,
    run in the background and tracked here (status, progress), because a year of conversions takes minutes.

    The job processes the range's conversions in order of primary key; ``cursor`` is the last one done and is
    saved in the same transaction as that chunk's credit, so a killed worker or a retried task continues where the
    last committed chunk ended and every figure stays exact. No audit history: the row is the record (who asked,
    when, how far it got); the conversions it changes get their own history rows.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    date_from = models.DateField(help_text="First local day (the organization's time zone), inclusive.")
    date_to = models.DateField(help_text="Last local day, inclusive.")
    total = models.PositiveIntegerField(default=0, help_text="Conversions in the range without explicit credit.")
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(
        default=0, help_text="Processed conversions whose model, window or credit changed."
    )
    cursor = models.UUIDField(null=True, blank=True, editable=False, help_text="The last conversion processed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "re-attribution job"
        constraints = [
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")),
                name="reattribution_job_date_order",
                violation_error_message="date_from must not be after date_to.",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="reattribution_job_org_created")]

    def __str__(self) -> str:
        return f"Re-attribution {self.date_from} – {self.date_to}"

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once done, even when the range had nothing to do)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)
