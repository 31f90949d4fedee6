"""Brandwave's names and shapes (seed ``003``), translated to and from the conversion services' arguments.

A Brandwave client sends camelCase names (``sourceId``, ``convertedAt``, ``externalRef``) and, as the seed's own
example does, snake_case ones (``source_id``, ``converted_at``): both spellings are read, the same name given in
both is a 400. The serializer checks shape, types and Brandwave's documented limits (which equal ours) and hands
``conversions.services`` its own argument names; every other rule (metadata keys, dates in the future,
deduplication by ``order_id``, attribution) is the service's, as on ``/api/v1/``.
"""

import uuid
from collections.abc import Mapping

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import exceptions, serializers

from conversions.api.serializers import MetadataField, WallClockDateTimeField
from conversions.models import COUNT_MAX, COUNT_MIN, ORDER_ID_MAX_LENGTH, ORIGIN_MAX_LENGTH, Campaign, Delivery
from core.api.viewsets import SEARCH_MAX_LENGTH, StrictSerializerMixin

PAGE_SIZE_MIN = 1
PAGE_SIZE_MAX = 100
PAGE_INDEX_MIN = 0
ORGANIZATION_ID_MAX_LENGTH = 100  # a UUID (36) or a slug (50), with room: longer is a 400, not a lookup

# Brandwave's names (camelCase, as its parameter tables spell them) and the snake_case spelling of each.
BODY_NAMES = ("organizationId", "sourceId", "convertedAt", "count", "origin", "externalRef", "metadata")
LIST_QUERY_NAMES = ("pageIndex", "pageSize", "organizationId", "searchTerm", "sortBy", "sortDirection", "sourceId")
DETAIL_QUERY_NAMES = ("organizationId",)


def snake_case(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def spellings(names) -> set[str]:
    """Every accepted spelling of these names: camelCase and snake_case."""
    return {spelling for name in names for spelling in (name, snake_case(name))}


def camel_case_names(data, names) -> dict | object:
    """``data`` with the snake_case spelling of each of ``names`` renamed to its camelCase one. A name given in both
    spellings is a 400 naming both; other keys are kept as they are (a strict serializer refuses them). Anything
    but a mapping is returned unchanged, for the serializer to refuse."""
    if not isinstance(data, Mapping):
        return data
    translated = dict(data)
    twice = {}
    for name in names:
        snake = snake_case(name)
        if snake == name or snake not in translated:
            continue
        if name in translated:
            twice[name] = [f"Given twice, as {name} and as {snake}: send one."]
            continue
        translated[name] = translated.pop(snake)
    if twice:
        raise exceptions.ValidationError(twice)
    return translated


SOURCE_DOES_NOT_EXIST = 'No campaign or delivery with id "{value}": object does not exist.'


class SourceIdField(serializers.Field):
    """Brandwave's ``sourceId``: the id of a campaign or a delivery of the caller's organization.

    In: ``{"campaign": row, "delivery": None}`` or the other way round (``source="*"``), so that the conversion is
    credited to exactly that source, like ``campaign_id``/``delivery_id`` on ``/api/v1/``. Out: the conversion's
    explicit delivery, else its explicit campaign, else ``null``. An id that is not a campaign or delivery of the
    caller's organization (unknown, or another organization's) "does not exist": a 400.
    """

    default_error_messages = {
        "type": "Not a valid string.",
        "invalid": "Must be a valid UUID.",
        "does_not_exist": SOURCE_DOES_NOT_EXIST,
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def resolve(self, data) -> Campaign | Delivery:
        """The campaign or delivery of the caller's organization this id names (also the list's filter)."""
        if not isinstance(data, str):
            self.fail("type")
        try:
            pk = uuid.UUID(data)
        except ValueError:
            self.fail("invalid")
        organization = self.context["request"].user.organization
        for model in (Campaign, Delivery):
            row = model.objects.for_organization(organization).filter(pk=pk).first()
            if row is not None:
                return row
        self.fail("does_not_exist", value=data)

    def to_internal_value(self, data) -> dict:
        row = self.resolve(data)
        if isinstance(row, Campaign):
            return {"campaign": row, "delivery": None}
        return {"campaign": None, "delivery": row}

    def to_representation(self, conversion) -> str | None:
        source = conversion.delivery_id or conversion.campaign_id
        return str(source) if source else None


class SourceIdFieldSchema(OpenApiSerializerFieldExtension):
    """``sourceId``: a campaign or delivery id in a request; in an answer also ``null`` (a conversion stored through
    /api/v1/ may have no explicit source)."""

    target_class = "compat.brandwave.serializers.SourceIdField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = {
            "type": "string",
            "format": "uuid",
            "description": "The id of one of your campaigns or deliveries (our `campaign_id` / `delivery_id`).",
        }
        if direction == "response":
            schema["nullable"] = True
            schema["description"] += " `null`: the conversion has no explicit source."
        return schema


@extend_schema_field(
    {
        "type": "string",
        "maxLength": ORGANIZATION_ID_MAX_LENGTH,
        "description": "Your organization's id or slug (answers give its id). Any other organization, even one "
        "that exists, is a 404.",
    }
)
class OrganizationIdField(serializers.CharField):
    """Brandwave's ``organizationId``. The view has compared it with the key's organization before validation (any
    other is a 404), so here it is only a required string; it adds nothing to the service's arguments."""

    def __init__(self, **kwargs):
        super().__init__(source="*", max_length=ORGANIZATION_ID_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data) -> dict:
        super().to_internal_value(data)
        return {}

    def to_representation(self, conversion) -> str:
        return str(conversion.organization_id)


class NullableTextField(serializers.CharField):
    """Text that renders ``null`` when empty: Brandwave leaves out what was not given."""

    def to_representation(self, value) -> str | None:
        return value or None


class BrandwaveConversionSerializer(StrictSerializerMixin, serializers.Serializer):
    """A conversion as Brandwave sends and shows it (camelCase). ``POST`` needs ``organizationId``, ``sourceId``
    and ``convertedAt``; ``PATCH`` (partial) any of the writable fields."""

    id = serializers.UUIDField(read_only=True)
    organizationId = OrganizationIdField()  # noqa: N815 - Brandwave's wire names are camelCase
    sourceId = SourceIdField()  # noqa: N815
    sourceType = serializers.SerializerMethodField()  # noqa: N815
    convertedAt = WallClockDateTimeField(  # noqa: N815
        source="converted_at",
        help_text="ISO 8601. Without a UTC offset it is read in your organization's time zone. At most 5 minutes "
        "in the future.",
    )
    count = serializers.IntegerField(
        min_value=COUNT_MIN, max_value=COUNT_MAX, required=False, help_text="Conversions in this event; default 1."
    )
    origin = NullableTextField(
        max_length=ORIGIN_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The channel, e.g. `website`, `app`. `null` or empty: none.",
    )
    externalRef = NullableTextField(  # noqa: N815
        source="order_id",
        max_length=ORDER_ID_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Your id of this event (our `order_id`), unique in your organization: a repeat with the same "
        "values is a replay (200, `Idempotent-Replayed: true`), with other values a 409. `null` or empty: none.",
    )
    metadata = MetadataField(
        required=False,
        allow_null=True,
        help_text="At most 50 keys of 1..64 characters; values are strings (≤ 500), numbers, booleans or null. "
        "`null` empties it.",
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)  # noqa: N815

    @extend_schema_field({"type": "string", "enum": ["campaign", "delivery"], "nullable": True})
    def get_sourceType(self, conversion) -> str | None:  # noqa: N802
        if conversion.delivery_id:
            return "delivery"
        return "campaign" if conversion.campaign_id else None

    def to_internal_value(self, data):
        return super().to_internal_value(camel_case_names(data, BODY_NAMES))

    def validate_metadata(self, value):
        return {} if value is None else value  # Brandwave's null clears it; we keep an empty object


class SourceIdFilterField(SourceIdField):
    """``sourceId`` as a list filter: the campaign or delivery row itself."""

    def __init__(self, **kwargs):
        super().__init__(source=None, **kwargs)

    def to_internal_value(self, data):
        return self.resolve(data)


SORT_FIELDS = {
    "convertedAt": "converted_at",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "count": "count",
    "origin": "origin",
    "externalRef": "order_id",
}
SORT_FIELD_BY_SPELLING = {
    spelling: field for name, field in SORT_FIELDS.items() for spelling in (name, snake_case(name))
}
SORT_CHOICES = sorted(SORT_FIELD_BY_SPELLING)
SORT_DIRECTIONS = ("asc", "desc")


class BrandwaveListQuerySerializer(serializers.Serializer):
    """The query of ``GET conversions``, camelCase names (snake_case ones are renamed before)."""

    pageIndex = serializers.IntegerField(min_value=PAGE_INDEX_MIN)  # noqa: N815
    pageSize = serializers.IntegerField(min_value=PAGE_SIZE_MIN, max_value=PAGE_SIZE_MAX)  # noqa: N815
    organizationId = serializers.CharField(max_length=ORGANIZATION_ID_MAX_LENGTH)  # noqa: N815
    searchTerm = serializers.CharField(  # noqa: N815
        max_length=SEARCH_MAX_LENGTH, required=False, allow_blank=True, trim_whitespace=False
    )
    sortBy = serializers.ChoiceField(choices=SORT_CHOICES, required=False)  # noqa: N815
    sortDirection = serializers.ChoiceField(choices=SORT_DIRECTIONS, required=False)  # noqa: N815
    sourceId = SourceIdFilterField(required=False)  # noqa: N815

    def to_internal_value(self, data):
        return super().to_internal_value(camel_case_names(data, LIST_QUERY_NAMES))


class BrandwaveFacetsSerializer(serializers.Serializer):
    origin = serializers.DictField(child=serializers.IntegerField(), help_text="Conversions per origin.")
    sourceId = serializers.DictField(  # noqa: N815
        child=serializers.IntegerField(), help_text='Conversions per sourceId (`""`: none).'
    )


@extend_schema_serializer(many=False)  # one object, not a list of them, though it answers the list route
class BrandwaveListSerializer(serializers.Serializer):
    """``{items, totalCount, facets}``: one page, the number of matching conversions, and facets over all of them."""

    items = BrandwaveConversionSerializer(many=True)
    totalCount = serializers.IntegerField(min_value=0)  # noqa: N815
    facets = BrandwaveFacetsSerializer()
