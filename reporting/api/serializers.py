"""Reporting v1 wire format (camelCase, the seed "Incomaker Reporting v1" shapes): query parameters and answers.

Parameter serializers validate the query string; answer serializers represent what the selectors computed.
Money and conversion numbers are JSON numbers: whole values without a fraction (``78230752``), others with
their two decimals (``1632.73``).
"""

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.models import AttributionModel
from conversions.models import Conversion
from core.api.envelope import LIMIT_DEFAULT, LIMIT_MAX
from core.validators import validate_country, validate_currency

from ..selectors import (
    HISTORY_INTERVALS,
    LIST_SORT_FIELDS,
    TIMEFRAME_KEYS,
    interval_start,
    report_default_range,
)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HISTORY_MAX_ROWS = 20_000  # ~55 years by day; a bound on the size of one answer


# --- Parameters ---------------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATE)
class IsoDateField(serializers.Field):
    """Exactly ``YYYY-MM-DD`` (no week dates, no times)."""

    def to_internal_value(self, data) -> date:
        if not isinstance(data, str) or not ISO_DATE.match(data):
            raise serializers.ValidationError("Use the format YYYY-MM-DD.")
        try:
            return date.fromisoformat(data)
        except ValueError:
            raise serializers.ValidationError("Not a valid date.") from None

    def to_representation(self, value: date) -> str:
        return value.isoformat()


class CommaListField(serializers.Field):
    """A comma-separated list (``CZ,SK``); each item is normalized and checked by ``parse_item``.

    In the schema it is an array in the query string as one comma list (``style: form, explode: false``) whose items
    follow ``item_schema`` (an enum where the choices are fixed).
    """

    def __init__(self, *, parse_item, item_schema: dict, **kwargs):
        self.parse_item = parse_item
        self.item_schema = item_schema
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> list:
        items = [item.strip() for item in str(data).split(",")]
        if not any(items):
            return []
        if not all(items):
            raise serializers.ValidationError("Empty item in the comma list.")
        values, errors = [], []
        for item in items:
            try:
                values.append(self.parse_item(item))
            except (serializers.ValidationError, DjangoValidationError) as error:
                errors.extend(error.messages if isinstance(error, DjangoValidationError) else error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return list(dict.fromkeys(values))


class CommaListFieldSchema(OpenApiSerializerFieldExtension):
    """A comma list is an array of its items in the schema (the AutoSchema writes it as ``a=x,y``)."""

    target_class = CommaListField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "array", "items": dict(self.target.item_schema)}


def _iso_code(check):
    def parse(item: str) -> str:
        code = item.upper()
        check(code)
        return code

    return parse


def _choice(choices):
    def parse(item: str) -> str:
        if item not in choices:
            raise serializers.ValidationError(f"'{item}' is not one of: {', '.join(choices)}.")
        return item

    return parse


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


SORT_TERMS = [term for name in LIST_SORT_FIELDS for term in (name, "-" + name)]


def _sort_term(item: str) -> tuple[str, bool]:
    name = item.removeprefix("-")
    if name not in LIST_SORT_FIELDS:
        raise serializers.ValidationError(f"Cannot sort by '{name}'. Allowed: {', '.join(LIST_SORT_FIELDS)}.")
    return name, item.startswith("-")


class ReportParametersSerializer(serializers.Serializer):
    """The query parameters every reporting v1 endpoint accepts (any other is a 400)."""

    dateFrom = IsoDateField(
        required=False, help_text="First local day (YYYY-MM-DD, inclusive). Default: `dateTo` − 29 days."
    )
    dateTo = IsoDateField(
        required=False,
        help_text="Last local day (YYYY-MM-DD, inclusive), in the organization's time zone. Default: today.",
    )
    country = CommaListField(
        parse_item=_iso_code(validate_country),
        item_schema={"type": "string", "pattern": "^[A-Za-z]{2}$"},
        required=False,
        help_text="Comma list of ISO 3166-1 alpha-2 codes, any case; a code not on the ISO list is a 400.",
    )
    currency = CommaListField(
        parse_item=_iso_code(validate_currency),
        item_schema={"type": "string", "pattern": "^[A-Za-z]{3}$"},
        required=False,
        help_text="Comma list of ISO 4217 codes (the conversions' original currencies), any case; a code not on the "
        "ISO list is a 400.",
    )
    campaignId = serializers.UUIDField(
        required=False,
        help_text="Only the credit given to this campaign (amounts × attribution weight). Unknown: 400.",
    )
    deliveryId = serializers.UUIDField(
        required=False,
        help_text="Only the credit given to this delivery (amounts × attribution weight). Unknown: 400.",
    )
    type = CommaListField(
        parse_item=_choice(Conversion.Type.values),
        item_schema=_enum(Conversion.Type.values),
        required=False,
        help_text=f"Comma list of conversion types: {', '.join(Conversion.Type.values)}.",
    )
    status = CommaListField(
        parse_item=_choice(Conversion.Status.values),
        item_schema=_enum(Conversion.Status.values),
        required=False,
        help_text=f"Comma list of statuses: {', '.join(Conversion.Status.values)}. Default: approved.",
    )

    def validate(self, attrs):
        date_from, date_to = report_default_range(
            self.context["organization"], date_from=attrs.get("dateFrom"), date_to=attrs.get("dateTo")
        )
        if date_from > date_to:
            raise serializers.ValidationError({"dateFrom": ["Must not be after dateTo."]})
        attrs["dateFrom"], attrs["dateTo"] = date_from, date_to
        return attrs


class ListParametersSerializer(ReportParametersSerializer):
    limit = serializers.IntegerField(
        required=False, default=LIMIT_DEFAULT, min_value=1, max_value=LIMIT_MAX, help_text="Rows per page, 1..1000."
    )
    offset = serializers.IntegerField(required=False, default=0, min_value=0, help_text="Rows to skip, ≥ 0.")
    sort = CommaListField(
        parse_item=_sort_term,
        item_schema=_enum(SORT_TERMS),
        required=False,
        help_text=f"Comma list, `-` for descending, over: {', '.join(LIST_SORT_FIELDS)}. Default: `-datetime`.",
    )


class DeliveryListParametersSerializer(ListParametersSerializer):
    """The delivery comes from the path."""

    deliveryId = None


class CampaignListParametersSerializer(ListParametersSerializer):
    """The campaign comes from the path."""

    campaignId = None


class HistoryParametersSerializer(ReportParametersSerializer):
    interval = serializers.ChoiceField(
        choices=HISTORY_INTERVALS, required=False, default="day", help_text="Row per day, week (Monday) or month."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        first = interval_start(attrs["dateFrom"], attrs["interval"])
        approximate_rows = (attrs["dateTo"] - first).days // {"day": 1, "week": 7, "month": 28}[attrs["interval"]]
        if approximate_rows >= HISTORY_MAX_ROWS:
            raise serializers.ValidationError(
                {"interval": [f"The range has more than {HISTORY_MAX_ROWS} intervals; use a longer interval."]}
            )
        return attrs


class ComparisonParametersSerializer(ReportParametersSerializer):
    """The comparison's rows are the campaigns and deliveries themselves: no campaign/delivery filter."""

    campaignId = None
    deliveryId = None
    models = CommaListField(
        parse_item=_choice(AttributionModel.values),
        item_schema=_enum(AttributionModel.values),
        required=False,
        help_text=f"Comma list of attribution models to compare: {', '.join(AttributionModel.values)}. "
        "Default: all of them. Repeats count once; an unknown model is a 400.",
    )


class TimeframeParametersSerializer(ReportParametersSerializer):
    by = serializers.ChoiceField(
        choices=TIMEFRAME_KEYS,
        required=False,
        default="hour",
        help_text="`hour` (0..23, local time) or `weekday` (1 = Monday .. 7 = Sunday).",
    )


# --- Answers ------------------------------------------------------------------------------------------------------


class NumberField(serializers.DecimalField):
    """A Decimal rendered as a JSON number: ``78230752`` when whole, else ``1632.73``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", False)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        value = Decimal(value)
        if value == value.to_integral_value():
            return int(value)
        # A float prints the shortest text that reads back as the same value: the two decimals for any amount
        # below 10^13, which no realistic sum reaches.
        return float(value)


def refund_fields(where: str, *, suffix: str = "", prefix: str = "") -> dict:
    """``refundedAmountWTax``, ``refundedAmountWoTax``, ``netAmountWTax``, ``netAmountWoTax`` (+ ``suffix``)."""
    return {
        f"refundedAmountWTax{suffix}": NumberField(
            source=f"{prefix}refunded_amount_with_tax",
            help_text=f"What the refunds of these conversions gave back, tax included ({where}).",
        ),
        f"refundedAmountWoTax{suffix}": NumberField(
            source=f"{prefix}refunded_amount_without_tax", help_text=f"The same without tax ({where})."
        ),
        f"netAmountWTax{suffix}": NumberField(
            source=f"{prefix}net_amount_with_tax", help_text=f"Gross amount with tax − refunded ({where})."
        ),
        f"netAmountWoTax{suffix}": NumberField(
            source=f"{prefix}net_amount_without_tax", help_text=f"Gross amount without tax − refunded ({where})."
        ),
    }


class CurrencyBreakdownSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="Original currency of the conversions (ISO 4217).")
    conversionsAmountWoTax = NumberField(source="amount_without_tax", help_text="In this currency.")
    conversionsAmountWTax = NumberField(source="amount_with_tax", help_text="In this currency.")
    conversionsNumber = NumberField(source="number", help_text="Sum of `count`.")
    averageConversion = NumberField(source="average", help_text="conversionsAmountWTax / conversionsNumber.")
    conversionAmountWoTaxReference = NumberField(
        source="reference_amount_without_tax", help_text="In the reference currency."
    )
    conversionAmountWTaxReference = NumberField(
        source="reference_amount_with_tax", help_text="In the reference currency."
    )
    locals().update(refund_fields("in this currency"))
    locals().update(refund_fields("in the reference currency", suffix="Reference", prefix="reference_"))


class ConversionTotalsSerializer(serializers.Serializer):
    conversionsAmountWoTax = NumberField(source="amount_without_tax", help_text="Sum of reference amounts.")
    conversionsAmountWTax = NumberField(source="amount_with_tax", help_text="Sum of reference amounts.")
    conversionsNumber = NumberField(source="number", help_text="Sum of `count` (× weight with a credit filter).")
    currency = serializers.CharField(help_text="The organization's reference currency.")
    averageConversion = NumberField(source="average", help_text="conversionsAmountWTax / conversionsNumber; 0 if none.")
    locals().update(refund_fields("reference currency"))
    breakdown = CurrencyBreakdownSerializer(many=True, help_text="Per original currency, by number descending.")


class TotalsSerializer(serializers.Serializer):
    uniqueContacts = serializers.IntegerField(source="unique_contacts", help_text="Distinct contacts.")
    averageUniqueConversion = NumberField(
        source="average_unique", help_text="conversions.conversionsAmountWTax / uniqueContacts; 0 if none."
    )
    conversions = ConversionTotalsSerializer(source="*")


class HistoryRowSerializer(serializers.Serializer):
    date = serializers.DateField(source="key", help_text="First day of the interval (weeks start on Monday).")
    conversionsNumber = NumberField(source="number")
    conversionsAmountWoTax = NumberField(source="amount_without_tax", help_text="Reference currency.")
    conversionsAmountWTax = NumberField(source="amount_with_tax", help_text="Reference currency.")
    uniqueContacts = serializers.IntegerField(source="unique_contacts")
    locals().update(refund_fields("reference currency"))


class HistorySerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The organization's reference currency.")
    interval = serializers.ChoiceField(choices=HISTORY_INTERVALS)
    history = HistoryRowSerializer(many=True)


class TimeframeRowSerializer(serializers.Serializer):
    """Keyed by ``hour`` or ``weekday`` (whichever was asked), then the same values as a history row."""

    hour = serializers.IntegerField(source="key", required=False, help_text="0..23, local time; with by=hour.")
    weekday = serializers.IntegerField(
        source="key", required=False, help_text="1 = Monday .. 7 = Sunday; with by=weekday."
    )
    conversionsNumber = NumberField(source="number")
    conversionsAmountWoTax = NumberField(source="amount_without_tax", help_text="Reference currency.")
    conversionsAmountWTax = NumberField(source="amount_with_tax", help_text="Reference currency.")
    uniqueContacts = serializers.IntegerField(source="unique_contacts")
    locals().update(refund_fields("reference currency"))

    def get_fields(self):
        fields = super().get_fields()
        unused_key = {"hour": "weekday", "weekday": "hour"}.get(self.context.get("by"))
        fields.pop(unused_key, None)
        return fields


class TimeframeSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The organization's reference currency.")
    by = serializers.ChoiceField(choices=TIMEFRAME_KEYS)
    timeframe = TimeframeRowSerializer(many=True)


# A row's contact fields are null without a contact (and clientContactId also when the contact has none), country
# when the conversion has none: docs/reporting.md, "Conversions list".
NULLABLE_STRING = {"type": "string", "nullable": True}


class ConversionRowSerializer(serializers.Serializer):
    conversionId = serializers.UUIDField(source="pk")
    contactId = serializers.UUIDField(source="contact_id", allow_null=True)
    clientContactId = serializers.SerializerMethodField()
    deliveryId = serializers.UUIDField(source="credit_delivery_id", allow_null=True, help_text="Largest credit.")
    campaignId = serializers.UUIDField(source="credit_campaign_id", allow_null=True, help_text="Largest credit.")
    datetime = serializers.SerializerMethodField(help_text="Conversion time with the organization's UTC offset.")
    orderId = serializers.CharField(source="order_id", allow_null=True)
    firstName = serializers.SerializerMethodField()
    surname = serializers.SerializerMethodField()
    conversionsAmount = NumberField(source="revenue", help_text="Revenue with tax, in conversionsCurrency.")
    conversionsCurrency = serializers.CharField(source="currency")
    conversionsReferenceAmount = NumberField(
        source="reference_revenue", allow_null=True, help_text="In the reference currency; null while no rate."
    )
    refundedAmount = NumberField(
        source="refunded_revenue", help_text="What its refunds gave back, tax included, in conversionsCurrency."
    )
    netAmount = NumberField(source="net_revenue", help_text="conversionsAmount − refundedAmount.")
    netReferenceAmount = NumberField(
        source="reference_net_revenue",
        allow_null=True,
        help_text="Net in the reference currency (refunds at the conversion's rate); null while no rate.",
    )
    country = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_STRING)
    def get_clientContactId(self, conversion) -> str | None:
        return conversion.contact.client_contact_id if conversion.contact_id else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_datetime(self, conversion) -> str:
        return timezone.localtime(conversion.converted_at, self.context["zone"]).isoformat()

    @extend_schema_field(NULLABLE_STRING)
    def get_firstName(self, conversion) -> str | None:
        return conversion.contact.first_name if conversion.contact_id else None

    @extend_schema_field(NULLABLE_STRING)
    def get_surname(self, conversion) -> str | None:
        return conversion.contact.surname if conversion.contact_id else None

    @extend_schema_field(NULLABLE_STRING)
    def get_country(self, conversion) -> str | None:
        return conversion.country or None


class PagingSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="The offset of the first row.")
    count = serializers.IntegerField(help_text="Rows in this page.")
    totalCount = serializers.IntegerField(help_text="Rows matching the filters.")


class ConversionListSerializer(serializers.Serializer):
    conversions = ConversionRowSerializer(many=True)
    paging = PagingSerializer()


class ComparisonFiguresSerializer(serializers.Serializer):
    conversionsNumber = NumberField(source="number", help_text="Sum of count × weight of the credit.")
    conversionsAmountWTax = NumberField(source="amount_with_tax", help_text="Credited, reference currency.")
    conversionsAmountWoTax = NumberField(source="amount_without_tax", help_text="Credited, reference currency.")


def _by_model_field(**kwargs):
    return serializers.DictField(child=ComparisonFiguresSerializer(), **kwargs)


class ComparisonCampaignSerializer(serializers.Serializer):
    campaignId = serializers.UUIDField(source="target_id")
    name = serializers.CharField()
    byModel = _by_model_field(source="by_model", help_text="One entry per compared model, keyed by the model.")


class ComparisonDeliverySerializer(serializers.Serializer):
    deliveryId = serializers.UUIDField(source="target_id")
    name = serializers.CharField()
    byModel = _by_model_field(source="by_model", help_text="One entry per compared model, keyed by the model.")


class ComparisonSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The organization's reference currency.")
    models = serializers.ListField(
        child=serializers.ChoiceField(choices=AttributionModel.values), help_text="The compared models, in order."
    )
    campaigns = ComparisonCampaignSerializer(
        many=True, help_text="Campaigns credited under at least one model (delivery credit counts for its campaign)."
    )
    deliveries = ComparisonDeliverySerializer(many=True, help_text="Deliveries credited under at least one model.")
    totals = _by_model_field(help_text="Each model's credit over all campaigns and deliveries.")
    totalsEqual = serializers.BooleanField(
        source="totals_equal",
        help_text="Whether every model's total is the same. Always true: each model credits a conversion with at "
        "least one candidate in full, and none credits one without; `uncredited` is that remainder.",
    )
    uncredited = ComparisonFiguresSerializer(
        help_text="Conversions of the range without explicit credit and without any candidate touchpoint: no model "
        "credits them. Totals + uncredited = all the range's conversions without explicit credit."
    )


# Components of the OpenAPI schema are named Reporting<Name>, apart from those of the canonical API.
for _serializer in (
    CurrencyBreakdownSerializer,
    ConversionTotalsSerializer,
    TotalsSerializer,
    HistoryRowSerializer,
    HistorySerializer,
    TimeframeRowSerializer,
    TimeframeSerializer,
    ConversionRowSerializer,
    PagingSerializer,
    ConversionListSerializer,
    ComparisonFiguresSerializer,
    ComparisonCampaignSerializer,
    ComparisonDeliverySerializer,
    ComparisonSerializer,
):
    extend_schema_serializer(component_name="Reporting" + _serializer.__name__.removesuffix("Serializer"))(_serializer)
