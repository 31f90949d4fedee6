"""Everflow's request and response shapes, and their translation to a conversion of ``conversions.services``.

The body of ``POST networks/conversions/reporting`` is checked for shape here (types, required fields, Everflow's
1..50 conversions, the ``YYYY-MM-DD HH:mm:ss`` date, the known ``timezone_id``s); ``conversion_fields`` then renames
it into the fields ``conversion_create`` takes. Every rule about the conversion itself (limits of amounts and
texts, deduplication by ``order_id``, the contact by e-mail, attribution, reports) is the service's.
"""

from datetime import datetime
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.models import CONTACT_EMAIL_MAX_LENGTH
from conversions.api.serializers import money
from conversions.models import (
    COUPON_CODE_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    ORDER_ID_MAX_LENGTH,
    Campaign,
    Conversion,
    Delivery,
)
from core.api.viewsets import StrictSerializerMixin

from .timezones import EVERFLOW_TIMEZONES, zone_name_for

NUMBER_OF_CONVERSIONS_MIN = 1
NUMBER_OF_CONVERSIONS_MAX = 50
BASE_EVENT_ID = 0  # Everflow's base conversion event
ADV_FIELDS = ("adv1", "adv2", "adv3", "adv4", "adv5")
ADV_MAX_LENGTH = 500  # a metadata string value (docs/api.md)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# YYYY-MM-DD HH:mm:ss with each part in its range (the calendar, e.g. no 30 February, is checked on parsing).
DATE_PATTERN = r"^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]) (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$"
DATE_FORMAT_MESSAGE = "Use the format YYYY-MM-DD HH:mm:ss, e.g. 2026-03-08 14:30:00."

# Our field names in a service's error, as the Everflow body names them.
EVERFLOW_FIELD_NAMES = {
    "revenue": "sale_amount",
    "revenue_without_tax": "sale_amount",
    "payout": "payout_amount",
    "notes": "internal_notes",
    "converted_at": "date",
    "timezone": "timezone_id",
    "count": "number_of_conversions",
    "campaign": "offer_id",
    "campaign_id": "offer_id",
    "delivery": "affiliate_id",
    "delivery_id": "affiliate_id",
}


def everflow_error_fields(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A service's field errors under the names of the Everflow body."""
    renamed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        renamed.setdefault(EVERFLOW_FIELD_NAMES.get(name, name), []).extend(messages)
    return renamed


def _text_without_lone_surrogates(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise serializers.ValidationError("Must be valid Unicode text (no lone surrogates).") from None


@extend_schema_field(OpenApiTypes.INT)
class ExternalIdField(serializers.RelatedField):
    """An Everflow id (a JSON integer) naming one of the caller's campaigns or deliveries by its ``external_id``.

    The serializer narrows the queryset to the caller's organization, so another organization's row with that
    ``external_id`` does not exist for this key (a 400, like any unknown id)."""

    default_error_messages = {
        "invalid": "A valid integer is required.",
        "does_not_exist": "There is no such {noun}: no {model} of this organization has the external_id '{value}'.",
    }

    def __init__(self, *, noun: str, **kwargs):
        self.noun = noun
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        row = self.get_queryset().filter(external_id=str(data)).first()
        if row is None:
            self.fail("does_not_exist", noun=self.noun, model=self.queryset.model._meta.verbose_name, value=data)
        return row

    def to_representation(self, value):
        return value.external_id


@extend_schema_field({"type": "integer", "enum": sorted(EVERFLOW_TIMEZONES)})
class TimezoneIdField(serializers.IntegerField):
    """An Everflow ``timezone_id``: one of the ids of ``GET meta/timezones`` (``compat.everflow.timezones``)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if zone_name_for(value) is None:
            raise serializers.ValidationError(f"There is no such timezone_id: {value}. See GET meta/timezones.")
        return value


class EverflowConversionSerializer(StrictSerializerMixin, serializers.Serializer):
    """The body of Everflow's "Create Conversions without Transaction IDs", field for field."""

    offer_id = ExternalIdField(
        noun="offer", queryset=Campaign.objects.all(), help_text="A campaign of yours, named by its `external_id`."
    )
    event_id = serializers.IntegerField(
        min_value=0, help_text="`0` is the base conversion (type `purchase`); any other id is kept in `metadata`."
    )
    affiliate_id = ExternalIdField(
        noun="affiliate", queryset=Delivery.objects.all(), help_text="A delivery of yours, named by its `external_id`."
    )
    number_of_conversions = serializers.IntegerField(
        min_value=NUMBER_OF_CONVERSIONS_MIN,
        max_value=NUMBER_OF_CONVERSIONS_MAX,
        help_text="Stored as one conversion with this `count`.",
    )
    timezone_id = TimezoneIdField(help_text="An id of `GET meta/timezones`; `date` is read in its zone.")
    is_now = serializers.BooleanField(help_text="`true`: recorded as of now (`date` is not used).")
    date = serializers.RegexField(
        DATE_PATTERN,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        error_messages={"invalid": DATE_FORMAT_MESSAGE},
        help_text="`YYYY-MM-DD HH:mm:ss` in the zone of `timezone_id`; required when `is_now` is false.",
    )
    internal_notes = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, help_text="Stored as `notes`."
    )
    revenue_amount = money(allow_null=True, help_text="Per conversion; kept in `metadata` when submitted.")
    is_revenue_amount_submitted = serializers.BooleanField(required=False)
    payout_amount = money(allow_null=True, help_text="Per conversion; × count = `payout` when submitted.")
    is_payout_amount_submitted = serializers.BooleanField(required=False)
    sale_amount = money(allow_null=True, help_text="Per conversion; × count = `revenue`.")
    adv1 = serializers.CharField(required=False, allow_blank=True, max_length=ADV_MAX_LENGTH)
    adv2 = serializers.CharField(required=False, allow_blank=True, max_length=ADV_MAX_LENGTH)
    adv3 = serializers.CharField(required=False, allow_blank=True, max_length=ADV_MAX_LENGTH)
    adv4 = serializers.CharField(required=False, allow_blank=True, max_length=ADV_MAX_LENGTH)
    adv5 = serializers.CharField(required=False, allow_blank=True, max_length=ADV_MAX_LENGTH)
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        max_length=CONTACT_EMAIL_MAX_LENGTH,
        help_text="The contact (found or created).",
    )
    coupon_code = serializers.CharField(required=False, allow_blank=True, max_length=COUPON_CODE_MAX_LENGTH)
    order_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=ORDER_ID_MAX_LENGTH,
        help_text="The deduplication key: the same body again is a replay (200), a different one a 409.",
    )

    def get_fields(self):
        # As TenantModelSerializer does: offers and affiliates are looked up among the caller's rows only.
        fields = super().get_fields()
        request = self.context.get("request")
        organization = getattr(getattr(request, "user", None), "organization", None)
        for field in fields.values():
            if isinstance(field, ExternalIdField):
                field.queryset = (
                    field.queryset.for_organization(organization) if organization else field.queryset.none()
                )
        return fields

    def validate_date(self, value: str) -> datetime | None:
        if not value:
            return None
        try:
            return datetime.strptime(value, DATE_FORMAT)
        except ValueError:
            raise serializers.ValidationError(f"Not a valid date and time. {DATE_FORMAT_MESSAGE}") from None

    def validate(self, attrs):
        for name in (*ADV_FIELDS, "internal_notes", "coupon_code", "order_id"):
            if attrs.get(name):
                try:
                    _text_without_lone_surrogates(attrs[name])
                except serializers.ValidationError as error:
                    raise serializers.ValidationError({name: error.detail}) from None
        errors = {}
        if not attrs["is_now"] and attrs.get("date") is None:
            errors["date"] = ["Required when is_now is false."]
        for flag, amount in (
            ("is_payout_amount_submitted", "payout_amount"),
            ("is_revenue_amount_submitted", "revenue_amount"),
        ):
            if attrs.get(flag) and attrs.get(amount) is None:
                errors[amount] = [f"Required when {flag} is true."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def conversion_fields(self) -> dict:
        """The validated body as the keyword arguments of ``conversion_create``: one conversion standing for
        ``number_of_conversions``, its amounts the per-conversion amounts × that count."""
        values = self.validated_data
        count = values["number_of_conversions"]
        fields = {
            "type": Conversion.Type.PURCHASE if values["event_id"] == BASE_EVENT_ID else Conversion.Type.CUSTOM,
            "count": count,
            "campaign": values["offer_id"],
            "delivery": values["affiliate_id"],
        }
        if not values["is_now"]:
            # A wall-clock time: the service reads it in the zone of timezone_id (DST included).
            fields["converted_at"] = values["date"]
            fields["timezone"] = zone_name_for(values["timezone_id"])
        if values.get("sale_amount") is not None:
            fields["revenue"] = values["sale_amount"] * count
        if values.get("is_payout_amount_submitted"):
            fields["payout"] = values["payout_amount"] * count
        metadata = {name: values[name] for name in ADV_FIELDS if values.get(name)}
        if values["event_id"] != BASE_EVENT_ID:
            metadata["event_id"] = values["event_id"]
        if values.get("is_revenue_amount_submitted"):
            metadata["revenue_amount"] = _decimal_text(values["revenue_amount"])
        if metadata:
            fields["metadata"] = metadata
        for ours, theirs in (("email", "email"), ("coupon_code", "coupon_code"), ("notes", "internal_notes")):
            if values.get(theirs):
                fields[ours] = values[theirs]
        if values.get("order_id"):
            fields["order_id"] = values["order_id"]
        return fields


def _decimal_text(amount: Decimal) -> str:
    """An amount kept in metadata: its exact decimal text ("12.50"), never a float."""
    return f"{amount:.2f}"


class EverflowResultSerializer(serializers.Serializer):
    result = serializers.BooleanField(help_text="`true`: the conversions were recorded (or had been already).")


class EverflowTimezoneSerializer(serializers.Serializer):
    timezone_id = serializers.IntegerField()
    timezone_name = serializers.CharField(help_text="A display label; it may change with DST. Do not match on it.")
    timezone = serializers.CharField(help_text="The IANA name: key look-ups on this field.")
    utc_offset = serializers.RegexField(r"^[+-]\d{2}:\d{2}$", help_text="The offset in effect now, e.g. `-05:00`.")


class EverflowTimezonesSerializer(serializers.Serializer):
    timezones = EverflowTimezoneSerializer(many=True)
