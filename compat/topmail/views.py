"""Topmail's ``GET`` and ``POST conversions`` (seed ``002``) on top of our conversion service and tenant viewset.

The view only translates: Topmail's names, defaults and limits in (``TopmailConversionSerializer``), Topmail's
shapes out, our error envelope. Scoping, strict input, the replay header and the write itself are
``TenantViewSet``'s and ``conversions.services.conversion_create``'s, exactly as on /api/v1/conversions/.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view

from conversions import services
from conversions.models import Attribution, Conversion
from core.api.envelope import EnvelopePagination
from core.api.schema import EnvelopeAutoSchema, replayable_create
from core.api.viewsets import TenantViewSet
from core.services import ServiceSet

from .filtersets import TopmailConversionFilterSet
from .serializers import (
    ERROR_FIELD_NAMES,
    TopmailConversionRowSerializer,
    TopmailConversionSerializer,
    TopmailRevenueField,
)

TAG = "Topmail compatibility"
PAGINATION_PARAMETERS = frozenset({"limit", "offset"})


class TopmailAutoSchema(EnvelopeAutoSchema):
    """Our envelope schema, with two Topmail differences: ``revenue`` is a JSON number only (no string form), and
    the create body needs ``email`` or ``contact_id``."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, TopmailRevenueField):
            return AutoSchema._map_serializer_field(self, field, direction, bypass_extensions)
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, TopmailConversionSerializer):
            if direction == "request":
                schema["anyOf"] = [{"required": ["email"]}, {"required": ["contact_id"]}]
            else:  # every field of the answer is always there (null where the seed shows null)
                schema["required"] = sorted(schema["properties"])
        return schema


class TopmailPagination(EnvelopePagination):
    """Our ``limit`` (1..1000, default 100) and ``offset`` (≥ 0), which are Topmail's too; Topmail has no facets."""

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"].pop("facets")
        answer["properties"]["pagination"]["required"] = ["total", "limit", "offset", "has_more"]
        return answer


def topmail_field_names(error: DjangoValidationError) -> DjangoValidationError:
    """A service's ``ValidationError`` with its field names as Topmail calls them (``delivery_id`` -> ``flow_id``)."""
    if not hasattr(error, "error_dict"):
        return error
    return DjangoValidationError(
        {ERROR_FIELD_NAMES.get(name, name): messages for name, messages in error.error_dict.items()}
    )


@extend_schema_view(
    list=extend_schema(
        operation_id="topmail_conversions_list",
        tags=[TAG],
        summary="List Conversions",
        description="List conversions with filtering and pagination, newest `converted_at` first, in Topmail's "
        "shape: the contact, campaign and flow nested. Only `limit`, `offset`, `contact_id`, `campaign_id` and "
        "`type` are accepted; any other query parameter is a 400.",
    ),
)
class TopmailConversionViewSet(TenantViewSet):
    """Topmail's conversions: list and create only."""

    queryset = Conversion.objects.select_related("contact", "campaign", "delivery").prefetch_related(
        Prefetch("attributions", queryset=Attribution.objects.select_related("campaign", "delivery"))
    )
    serializer_class = TopmailConversionSerializer
    filterset_class = TopmailConversionFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = TopmailPagination
    http_method_names = ["get", "post", "head", "options"]
    schema = TopmailAutoSchema()
    conflict_actions = ("create",)
    services = ServiceSet(create=services.conversion_create)

    def get_queryset(self):
        return super().get_queryset().order_by("-converted_at", "pk")

    def get_serializer_class(self):
        return TopmailConversionRowSerializer if self.action == "list" else TopmailConversionSerializer

    def allowed_query_parameters(self) -> set[str]:
        if self.action != "list":
            return set()
        return set(PAGINATION_PARAMETERS) | set(self.filterset_class.base_filters)

    @extend_schema(operation_id="topmail_conversions_create", tags=[TAG], summary="Create Conversion")
    @replayable_create(TopmailConversionSerializer, noun="conversion", key="order_id")
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        try:
            super().perform_create(serializer)
        except DjangoValidationError as error:
            raise topmail_field_names(error) from error
