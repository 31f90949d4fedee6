"""Topmail's conversion shapes on the wire (seed ``002``), translated to and from our conversion fields.

Shape and type checks only, plus Topmail's own documented limits and defaults (``order_id`` ≤ 100, ``currency``
USD, ``attribution_model`` ``last_touch``, ``attribution_window`` 7, one of ``email``/``contact_id``). Every
business rule (dedup, contact by e-mail, attribution, money rules, metadata rules) is ``conversion_create``'s.
"""

from datetime import UTC

from rest_framework import serializers

from accounts.models import (
    ATTRIBUTION_WINDOW_DEFAULT_DAYS,
    ATTRIBUTION_WINDOW_MAX_DAYS,
    ATTRIBUTION_WINDOW_MIN_DAYS,
    AttributionModel,
)
from contacts.models import CONTACT_EMAIL_MAX_LENGTH, Contact
from conversions.api.serializers import MetadataField, WallClockDateTimeField, related_id
from conversions.models import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, Campaign, Conversion, Delivery
from core.api.fields import CurrencyField
from core.api.viewsets import TenantModelSerializer

TOPMAIL_ORDER_ID_MAX_LENGTH = 100  # Topmail's limit; ours is 255
TOPMAIL_DEFAULT_CURRENCY = "USD"  # Topmail's default; ours is the organization's reference currency
TOPMAIL_DEFAULT_ATTRIBUTION_MODEL = AttributionModel.LAST_TOUCH
# The models Topmail documents: ours has more (time_decay, position_based), which the drop-in does not accept.
TOPMAIL_ATTRIBUTION_MODELS = [
    (value, label)
    for value, label in AttributionModel.choices
    if value in (AttributionModel.LAST_TOUCH, AttributionModel.FIRST_TOUCH, AttributionModel.LINEAR)
]
TOPMAIL_DEFAULT_ATTRIBUTION_WINDOW_DAYS = ATTRIBUTION_WINDOW_DEFAULT_DAYS  # 7, as Topmail documents
CONTACT_REQUIRED_MESSAGES = {
    "email": ["Required if contact_id is not provided."],
    "contact_id": ["Required if email is not provided."],
}
# Our names in a service's error -> Topmail's names on this route.
ERROR_FIELD_NAMES = {
    "delivery_id": "flow_id",
    "delivery": "flow_id",
    "contact": "contact_id",
    "campaign": "campaign_id",
}


class TopmailDateTimeField(WallClockDateTimeField):
    """In: ISO 8601 as on /api/v1/ (an offset-less time is read in the organization's zone). Out: Topmail's
    ``2025-01-15T14:30:00.000Z`` (UTC, milliseconds, ``Z``)."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class TopmailRevenueField(serializers.DecimalField):
    """Topmail's ``revenue``: a JSON number (its docs say ``number``; a string is a 400 here, unlike /api/v1/), ≥ 0,
    at most 2 decimals and 12 digits before the point like ours; answered as a JSON number."""

    default_error_messages = {"number": "A JSON number is required."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | bool):
            self.fail("number")
        return super().to_internal_value(data)


class TopmailConversionSerializer(TenantModelSerializer):
    """``POST conversions`` in and its ``{"data": {...}}`` out. ``contact_id``, ``campaign_id`` and ``flow_id`` only
    accept rows of the key's organization (``TenantModelSerializer``)."""

    email = serializers.EmailField(
        write_only=True,
        required=False,
        max_length=CONTACT_EMAIL_MAX_LENGTH,
        help_text="Contact e-mail address, found case-insensitively or created. Required if contact_id is not "
        "provided; must be that contact's when both are given.",
    )
    contact_id = related_id(
        Contact, source="contact", required=False, help_text="Contact ID. Required if email is not provided."
    )
    type = serializers.ChoiceField(choices=Conversion.Type.choices, default=Conversion.Type.CUSTOM)
    revenue = TopmailRevenueField(min_value=0, required=False, help_text="Revenue amount (≥ 0). Default 0.")
    currency = CurrencyField(
        allow_blank=False, default=TOPMAIL_DEFAULT_CURRENCY, help_text="3-letter ISO 4217 currency code."
    )
    order_id = serializers.CharField(
        max_length=TOPMAIL_ORDER_ID_MAX_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="External order ID for deduplication: the same payload again is a 200 replay "
        "(`Idempotent-Replayed: true`), a different one a 409 conflict naming `existing_id`.",
    )
    campaign_id = related_id(
        Campaign,
        source="campaign",
        required=False,
        allow_null=True,
        help_text="In: attribute this conversion to this campaign. Out: that campaign, else the campaign that "
        "got the (largest) credit from the contact's touchpoints.",
    )
    flow_id = related_id(
        Delivery,
        source="delivery",
        required=False,
        allow_null=True,
        help_text="A flow is one of our deliveries. In: attribute this conversion to it. Out: that flow, else the "
        "flow that got the (largest) credit from the contact's touchpoints.",
    )
    attribution_model = serializers.ChoiceField(
        choices=TOPMAIL_ATTRIBUTION_MODELS, default=TOPMAIL_DEFAULT_ATTRIBUTION_MODEL
    )
    attribution_window = serializers.IntegerField(
        write_only=True,
        min_value=ATTRIBUTION_WINDOW_MIN_DAYS,
        max_value=ATTRIBUTION_WINDOW_MAX_DAYS,
        default=TOPMAIL_DEFAULT_ATTRIBUTION_WINDOW_DAYS,
        help_text="Attribution window in days.",
    )
    metadata = MetadataField(required=False)
    converted_at = TopmailDateTimeField(
        required=False,
        help_text="ISO 8601; default now; at most 5 minutes in the future. Without an offset it is read in the "
        "organization's time zone. Answered in UTC with milliseconds.",
    )
    created_at = TopmailDateTimeField(read_only=True)

    class Meta:
        model = Conversion
        fields = [
            "id", "email", "type", "revenue", "currency", "order_id", "contact_id", "campaign_id", "flow_id",
            "attribution_model", "attribution_window", "metadata", "converted_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        if not attrs.get("email") and attrs.get("contact") is None:
            raise serializers.ValidationError(CONTACT_REQUIRED_MESSAGES)
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        target = shown_target(instance)
        data["campaign_id"] = str(target.campaign_id) if target and target.campaign_id else None
        data["flow_id"] = str(target.delivery_id) if target and target.delivery_id else None
        return data


def shown_target(conversion: Conversion):
    """What Topmail calls a conversion's campaign and flow: the explicit ones when the client named any (exactly
    as sent), else the credit row with the largest weight (ties by id) that attribution gave it, else None.

    Returns the conversion or one of its attribution rows (both have ``campaign``/``delivery``). With the list's
    prefetch (ordered the same way) this reads no more rows.
    """
    if conversion.campaign_id is not None or conversion.delivery_id is not None:
        return conversion
    credits = list(conversion.attributions.all())
    if not credits:
        return None
    return min(credits, key=lambda row: (-row.weight, str(row.pk)))


class TopmailContactSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_null=True)


class TopmailNamedSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class TopmailConversionRowSerializer(serializers.Serializer):
    """One row of ``GET conversions``: the contact, campaign and flow nested as ``{id, email}`` / ``{id, name}``."""

    id = serializers.UUIDField(read_only=True)
    type = serializers.ChoiceField(choices=Conversion.Type.choices, read_only=True)
    revenue = TopmailRevenueField(read_only=True, min_value=0)
    currency = serializers.CharField(read_only=True)
    order_id = serializers.CharField(read_only=True, allow_null=True)
    contact = TopmailContactSerializer(read_only=True, allow_null=True, help_text="Null when it was deleted.")
    campaign = TopmailNamedSerializer(
        read_only=True, allow_null=True, help_text="The explicit campaign, else the one credited (largest share)."
    )
    flow = TopmailNamedSerializer(
        source="delivery",
        read_only=True,
        allow_null=True,
        help_text="The explicit flow (our delivery), else the one credited (largest share).",
    )
    attribution_model = serializers.ChoiceField(choices=AttributionModel.choices, read_only=True)
    metadata = MetadataField(read_only=True)
    converted_at = TopmailDateTimeField(read_only=True)
    created_at = TopmailDateTimeField(read_only=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        target = shown_target(instance)
        campaign = target.campaign if target else None
        flow = target.delivery if target else None
        data["campaign"] = TopmailNamedSerializer(campaign).data if campaign else None
        data["flow"] = TopmailNamedSerializer(flow).data if flow else None
        return data
