"""Shapes of campaigns, deliveries, touchpoints, conversions and exchange rates on the wire.

Serializers check shape and types only; every rule that needs the database or spans fields (deduplication,
contact resolution, reference amounts, limits the admin must share) is applied by ``conversions.services``.
"""

from datetime import UTC

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, AttributionModel
from contacts.models import CONTACT_EMAIL_MAX_LENGTH, Contact
from core.api.envelope import error_body, validation_error_body
from core.api.fields import CountryField, CurrencyField, DateTimeField, LanguageField
from core.api.viewsets import StrictSerializerMixin, TenantModelSerializer
from core.exceptions import ConflictError

from ..attribution import Outcome
from ..models import (
    COUNT_MAX,
    COUNT_MIN,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    WEIGHT_DECIMAL_PLACES,
    WEIGHT_MAX_DIGITS,
    Attribution,
    Campaign,
    Conversion,
    Delivery,
    ExchangeRate,
    Refund,
    Touchpoint,
)
from ..selectors import rows_by_pk
from ..services import BATCH_MAX_ITEMS

TIMEZONE_MAX_LENGTH = 64


class RelatedIdField(serializers.PrimaryKeyRelatedField):
    """A foreign key as ``<name>_id`` (a UUID). TenantModelSerializer narrows its queryset to the caller's
    organization; a batch may preload the rows it names (``context["preloaded"][model]``, fetched with that same
    queryset) so that 1000 items cost one query per model instead of one per item."""

    def to_internal_value(self, data):
        preloaded = self.context.get("preloaded", {}).get(self.queryset.model)
        if preloaded is None:
            return super().to_internal_value(data)
        pk = self.pk_field.to_internal_value(data)
        if pk not in preloaded:
            self.fail("does_not_exist", pk_value=pk)
        return preloaded[pk]


def related_id(model, **kwargs) -> RelatedIdField:
    return RelatedIdField(queryset=model.objects.all(), pk_field=serializers.UUIDField(format="hex_verbose"), **kwargs)


def money(**kwargs) -> serializers.DecimalField:
    """An amount: a JSON number or a string, at most 2 decimal places, ≥ 0; rendered as a JSON number.

    A JSON float such as 149.99 reaches the field as the float nearest to it; DRF reads it through ``str()``,
    which gives back the shortest decimal that round-trips, i.e. exactly the digits the client sent.
    """
    return serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, min_value=0, required=False, **kwargs
    )


def derived_money(**kwargs) -> serializers.DecimalField:
    """A read-only amount the services derive (refunded and net amounts), rendered as a JSON number."""
    return serializers.DecimalField(max_digits=None, decimal_places=MONEY_DECIMAL_PLACES, read_only=True, **kwargs)


class WallClockDateTimeField(DateTimeField):
    """ISO 8601 in; a time without an offset stays naive so the service reads it in the payload's ``timezone``
    or the organization's zone (DRF would otherwise pin it to UTC). Stored times are aware and render as UTC; an
    offset beyond ±15:59 is a 400 like on every other date-time."""

    def enforce_timezone(self, value):
        if not timezone.is_aware(value):
            return value
        self.check_offset(value)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            self.fail("overflow")


class CampaignSerializer(TenantModelSerializer):
    language = LanguageField(required=False)

    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "language", "sent_at", "external_id", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"external_id": {"validators": []}}  # uniqueness is the service's rule (409)


class DeliverySerializer(TenantModelSerializer):
    campaign_id = related_id(Campaign, source="campaign", required=False, allow_null=True)
    language = LanguageField(required=False)

    class Meta:
        model = Delivery
        fields = ["id", "name", "campaign_id", "kind", "language", "external_id", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"external_id": {"validators": []}}  # uniqueness is the service's rule (409)


class TouchpointSerializer(TenantModelSerializer):
    contact_id = related_id(Contact, source="contact")
    campaign_id = related_id(Campaign, source="campaign", required=False, allow_null=True)
    delivery_id = related_id(Delivery, source="delivery", required=False, allow_null=True)

    class Meta:
        model = Touchpoint
        fields = [
            "id", "contact_id", "campaign_id", "delivery_id", "kind", "occurred_at", "external_id", "is_machine",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"external_id": {"validators": []}}  # uniqueness is the service's rule (replay or 409)


class AttributionSerializer(serializers.ModelSerializer):
    campaign_id = serializers.UUIDField(read_only=True, allow_null=True)
    delivery_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Attribution
        fields = ["campaign_id", "delivery_id", "weight", "revenue", "reference_revenue"]
        read_only_fields = fields


class AttributionWindowsSerializer(serializers.Serializer):
    click_days = serializers.IntegerField(help_text="The organization's click window (days).")
    open_days = serializers.IntegerField(help_text="The organization's open window (days).")
    override_days = serializers.IntegerField(
        allow_null=True,
        help_text="The conversion's own attribution_window when it was given: then it is the window of clicks and "
        "opens alike. Null: the click and open windows apply.",
    )
    count_opens = serializers.BooleanField(help_text="Whether opens earn credit at all.")
    exclude_machine_opens = serializers.BooleanField(help_text="Whether opens flagged is_machine are left out.")


class ExplainedTouchpointSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Touchpoint.Kind.choices)
    occurred_at = DateTimeField()
    campaign_id = serializers.UUIDField(
        allow_null=True, help_text="The campaign the touch credits: its own, else its delivery's."
    )
    delivery_id = serializers.UUIDField(allow_null=True)
    outcome = serializers.ChoiceField(
        choices=Outcome.ALL,
        help_text="`counted`, or why the touch earned nothing: `outside_window`, `after_conversion`, "
        "`kind_not_counted` (delivered), `opens_not_counted`, `machine_open`, `explicit_override`.",
    )
    weight = serializers.DecimalField(
        max_digits=WEIGHT_MAX_DIGITS,
        decimal_places=WEIGHT_DECIMAL_PLACES,
        allow_null=True,
        help_text="The share this touch earned before shares of the same target merge; the counted touches' "
        "weights sum to 1 (a touch the model gives nothing, e.g. not the last under last_touch, has 0). Null when "
        "not counted.",
    )


class ConversionAttributionSerializer(serializers.Serializer):
    """Why a conversion has the credit it has (``conversions.selectors.conversion_explanation``)."""

    model = serializers.ChoiceField(choices=AttributionModel.choices)
    windows = AttributionWindowsSerializer()
    explicit = serializers.BooleanField(help_text="The conversion names its campaign or delivery: it gets all.")
    touchpoints = ExplainedTouchpointSerializer(
        many=True,
        help_text="Every touchpoint of the contact from the longest window before the conversion to 90 days "
        "after it, oldest first.",
    )
    attributions = AttributionSerializer(many=True, help_text="The stored credit, as the conversion shows it.")

    @staticmethod
    def represent(conversion, explanation) -> dict:
        rules = explanation.rules
        return {
            "model": explanation.model,
            "windows": {
                "click_days": rules.click_window_days,
                "open_days": rules.open_window_days,
                "override_days": rules.override_window_days,
                "count_opens": rules.count_opens,
                "exclude_machine_opens": rules.exclude_machine_opens,
            },
            "explicit": explanation.explicit,
            "touchpoints": [
                {
                    "id": item.touch.id,
                    "kind": item.touch.kind,
                    "occurred_at": item.touch.occurred_at,
                    "campaign_id": item.touch.campaign_id,
                    "delivery_id": item.touch.delivery_id,
                    "outcome": item.outcome,
                    "weight": item.weight,
                }
                for item in explanation.touches
            ],
            "attributions": list(conversion.attributions.all()),
        }


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": 50,
        "additionalProperties": {
            "oneOf": [{"type": "string", "maxLength": 500}, {"type": "number"}, {"type": "boolean"}],
            "nullable": True,
        },
        "description": "At most 50 keys of 1..64 characters; values are strings (≤ 500), numbers, booleans or null.",
    }
)
class MetadataField(serializers.JSONField):
    """A JSON object; its size and value types are checked by the service, which the admin shares."""


class ConversionSerializer(TenantModelSerializer):
    contact_id = related_id(Contact, source="contact", required=False, allow_null=True)
    email = serializers.EmailField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=CONTACT_EMAIL_MAX_LENGTH,
        help_text="The contact is found (case-insensitively) or created by e-mail; must agree with contact_id.",
    )
    campaign_id = related_id(Campaign, source="campaign", required=False, allow_null=True)
    delivery_id = related_id(Delivery, source="delivery", required=False, allow_null=True)
    count = serializers.IntegerField(min_value=COUNT_MIN, max_value=COUNT_MAX, required=False)
    revenue = money(help_text="Amount paid, tax included. Default 0.")
    revenue_without_tax = money(allow_null=True, help_text="≤ revenue. Default: revenue.")
    payout = money(allow_null=True)
    currency = CurrencyField(required=False, help_text="ISO 4217. Default: the organization's reference currency.")
    country = CountryField(required=False, help_text="ISO 3166-1 alpha-2. Default: the contact's country.")
    attribution_window = serializers.IntegerField(
        min_value=ATTRIBUTION_WINDOW_MIN_DAYS, max_value=ATTRIBUTION_WINDOW_MAX_DAYS, required=False
    )
    attributions = AttributionSerializer(many=True, read_only=True)
    metadata = MetadataField(required=False)
    converted_at = WallClockDateTimeField(
        required=False,
        help_text="ISO 8601; default now. Without an offset it is read in `timezone`, else the organization's zone.",
    )
    timezone = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=TIMEZONE_MAX_LENGTH,
        help_text="IANA zone name in which an offset-less converted_at is read.",
    )

    refunded_revenue = derived_money(help_text="Sum of the refund ledger, tax included, in `currency`.")
    refunded_revenue_without_tax = derived_money(help_text="Sum of the refund ledger without tax, in `currency`.")
    net_revenue = derived_money(help_text="revenue − refunded_revenue.")
    net_revenue_without_tax = derived_money(help_text="revenue_without_tax − refunded_revenue_without_tax.")
    reference_net_revenue = derived_money(
        allow_null=True,
        help_text="reference_revenue − the refunds at the conversion's rate; exactly 0 when fully refunded. "
        "Null while no rate is known.",
    )
    reference_net_revenue_without_tax = derived_money(allow_null=True, help_text="The same without tax.")

    class Meta:
        model = Conversion
        fields = [
            "id", "contact_id", "email", "type", "status", "count", "revenue", "revenue_without_tax", "payout",
            "currency", "reference_revenue", "reference_revenue_without_tax", "reference_currency",
            "refunded_revenue", "refunded_revenue_without_tax", "net_revenue", "net_revenue_without_tax",
            "reference_net_revenue", "reference_net_revenue_without_tax", "order_id",
            "campaign_id", "delivery_id", "attribution_model", "attribution_window", "attributions", "origin",
            "country", "coupon_code", "notes", "metadata", "converted_at", "timezone", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "reference_revenue", "reference_revenue_without_tax", "reference_currency", "created_at",
            "updated_at",
        ]  # fmt: skip


class RefundSerializer(TenantModelSerializer):
    conversion_id = serializers.UUIDField(read_only=True)
    amount = serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        required=False,
        help_text="> 0, in the conversion's currency, tax included; at most what remains to be refunded. Left out "
        "in a reversal, which stores the opposite (negative) amounts of the refund it reverses.",
    )
    amount_without_tax = serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        required=False,
        allow_null=True,
        help_text="≥ 0 and ≤ amount. Default: the same share of the conversion's revenue_without_tax as amount is of "
        "its revenue, rounded half-up to the cent (the refund of all that remains takes all that remains).",
    )
    currency = serializers.CharField(source="conversion.currency", read_only=True, help_text="The conversion's.")
    refunded_at = DateTimeField(
        required=False,
        help_text="Default now. Not before the conversion's converted_at, not more than 5 minutes in the future.",
    )
    reverses_id = related_id(
        Refund,
        source="reverses",
        required=False,
        allow_null=True,
        help_text="Makes this entry the reversal of that refund (of the same conversion, not reversed yet).",
    )
    reversed_by_id = serializers.SerializerMethodField(help_text="The reversal of this refund, if any.")

    class Meta:
        model = Refund
        fields = [
            "id", "conversion_id", "amount", "amount_without_tax", "currency", "reason", "note", "external_ref",
            "refunded_at", "reverses_id", "reversed_by_id", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "conversion_id", "currency", "created_at", "updated_at"]
        extra_kwargs = {"external_ref": {"validators": []}}  # uniqueness is the service's rule (replay or 409)
        validators = []

    @extend_schema_field({"type": "string", "format": "uuid", "nullable": True})
    def get_reversed_by_id(self, refund) -> str | None:
        try:
            return str(refund.reversal.pk)  # a reverse one-to-one: the viewsets select it with the refund
        except Refund.DoesNotExist:
            return None


class ConversionBatchSerializer(StrictSerializerMixin, serializers.Serializer):
    """The batch body. Items are kept raw here (``null`` too): each is validated on its own, so one bad item fails
    alone."""

    conversions = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=True,
        max_length=BATCH_MAX_ITEMS,
        help_text="At most 1000 items.",
    )


class ConversionBatchItemErrorSerializer(serializers.Serializer):
    type = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    existing_id = serializers.UUIDField(required=False, allow_null=True)


class ConversionBatchItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    id = serializers.UUIDField(allow_null=True)
    error = ConversionBatchItemErrorSerializer(allow_null=True)


class ConversionBatchSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()


class ConversionBatchResultSerializer(serializers.Serializer):
    data = ConversionBatchItemResultSerializer(many=True)
    summary = ConversionBatchSummarySerializer()


def validate_batch_items(item_serializer, items: list) -> tuple[dict[int, dict], dict[int, dict]]:
    """Validate each batch item with one serializer: ``(valid values by index, error bodies by index)``.

    The contacts, campaigns and deliveries the items name are fetched first, one query per model, through the
    serializer's own (organization-scoped) querysets; the items' fields then read them from memory.
    """
    preloaded = item_serializer.context.setdefault("preloaded", {})
    for name, field in item_serializer.fields.items():
        if isinstance(field, RelatedIdField):
            queryset = field.get_queryset()
            # Only strings can be ids: any other value (a list, an object) is the item's own 400, not a 500 here.
            ids = {item.get(name) for item in items if isinstance(item, dict) and isinstance(item.get(name), str)}
            preloaded[queryset.model] = rows_by_pk(queryset, ids)
    valid: dict[int, dict] = {}
    errors: dict[int, dict] = {}
    for index, item in enumerate(items):
        try:
            valid[index] = dict(item_serializer.run_validation(item))
        except exceptions.ValidationError as error:
            errors[index] = validation_error_body(error.detail)["error"]
    return valid, errors


def batch_item_result(index: int, shape_error: dict | None, outcome) -> dict:
    """One item of the batch answer, from its shape error or the service's outcome for it."""
    if shape_error is not None:
        return {"index": index, "status": "error", "id": None, "error": shape_error}
    if outcome.status != "error":
        return {"index": index, "status": outcome.status, "id": str(outcome.conversion.pk), "error": None}
    error = outcome.error
    if isinstance(error, ConflictError):
        existing_id = str(error.existing_id) if error.existing_id else None
        body = error_body(409, error.message, existing_id=existing_id)["error"]
    else:
        body = validation_error_body(error)["error"]
    return {"index": index, "status": "error", "id": None, "error": body}


class ExchangeRateSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    currency = CurrencyField(allow_blank=False)

    class Meta:
        model = ExchangeRate
        fields = ["id", "date", "currency", "rate", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # uniqueness per (currency, date) is the service's rule
