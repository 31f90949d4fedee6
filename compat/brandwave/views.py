"""Brandwave's conversion routes (``/compat/brandwave/v1/``) on top of the same viewset base, FilterSet and
services as ``/api/v1/conversions/``.

The view only translates: Brandwave's query and body names, its ``organizationId`` (checked against the key's
organization: any other is a 404), its page (``pageIndex``/``pageSize``) and sort (``sortBy``/``sortDirection``),
and its answers (``{items, totalCount, facets}`` for a list, ``{data}`` for one conversion, also on ``DELETE``).
Scoping is ``TenantViewSet``'s; validation, deduplication, attribution, history and report invalidation are the
services'. Errors use our error envelope (the seed documents none of its own), with Brandwave's field names.
"""

import functools
import uuid

from django.core.exceptions import ValidationError
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, filters
from rest_framework.response import Response

from conversions import services
from conversions.api.views import ConversionViewSet
from conversions.filtersets import ConversionFilterSet
from conversions.models import Campaign, Conversion
from core.api.schema import EnvelopeAutoSchema, replayable_create
from core.api.viewsets import SEARCH_MAX_LENGTH, TenantViewSet, facet_counts
from core.services import ServiceSet

from .serializers import (
    BODY_NAMES,
    DETAIL_QUERY_NAMES,
    LIST_QUERY_NAMES,
    ORGANIZATION_ID_MAX_LENGTH,
    PAGE_SIZE_MAX,
    SORT_CHOICES,
    SORT_DIRECTIONS,
    SORT_FIELD_BY_SPELLING,
    BrandwaveConversionSerializer,
    BrandwaveListQuerySerializer,
    BrandwaveListSerializer,
    camel_case_names,
    snake_case,
    spellings,
)

TAG = "Brandwave compatibility"
DEFAULT_ORDERING = ("-converted_at", "-pk")  # /api/v1/'s default (newest first), ties broken by id
FACET_NAMES = {"origin": "origin", "sourceId": "source"}  # Brandwave's facet name -> field or annotation
REQUIRED_LIST_PARAMETERS = ("pageIndex", "pageSize", "organizationId")

# What the services call a field -> Brandwave's name for it, so that a service's 400 names what the client sent.
BRANDWAVE_FIELD_NAMES = {
    "converted_at": "convertedAt",
    "order_id": "externalRef",
    "campaign": "sourceId",
    "campaign_id": "sourceId",
    "delivery": "sourceId",
    "delivery_id": "sourceId",
}


def brandwave_field_names(service):
    """The service, with the field names of its ``ValidationError`` renamed to Brandwave's."""

    @functools.wraps(service)
    def call(**kwargs):
        try:
            return service(**kwargs)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            renamed: dict[str, list] = {}
            for name, errors in error.error_dict.items():
                renamed.setdefault(BRANDWAVE_FIELD_NAMES.get(name, name), []).extend(errors)
            raise ValidationError(renamed) from error

    return call


class SearchTermFilter(filters.SearchFilter):
    """Our API's search (the same fields, the same matching), fed with Brandwave's ``searchTerm``."""

    def __init__(self, term: str):
        self.term = term

    def get_search_terms(self, request):
        return filters.search_smart_split(self.term)


def organization_matches(organization, value: str) -> bool:
    """Whether Brandwave's ``organizationId`` names this organization: its id (any UUID spelling) or its slug."""
    if value == organization.slug:
        return True
    try:
        return uuid.UUID(value) == organization.pk
    except ValueError:
        return False


def parameter(name: str, schema: dict, description: str, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.QUERY,
        required=required,
        description=f"{description} Also accepted as `{snake_case(name)}`.",
    )


ORGANIZATION_PARAMETER_SCHEMA = {"type": "string", "maxLength": ORGANIZATION_ID_MAX_LENGTH}
LIST_PARAMETERS = [
    parameter("pageIndex", {"type": "integer", "minimum": 0}, "Zero-based page index.", required=True),
    parameter("pageSize", {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX}, "Items per page (1-100).", True),
    parameter(
        "organizationId",
        {**ORGANIZATION_PARAMETER_SCHEMA, "minLength": 1},
        "Your organization's id or slug; any other organization, even one that exists, is a 404.",
        required=True,
    ),
    parameter(
        "searchTerm",
        {"type": "string", "maxLength": SEARCH_MAX_LENGTH},
        f"Free text (at most {SEARCH_MAX_LENGTH} characters) over externalRef, the coupon code and the contact's "
        "e-mail, as `search` on /api/v1/: every word must match one of them, case-insensitively.",
    ),
    parameter(
        "sortBy",
        {"type": "string", "enum": SORT_CHOICES},
        "The field to sort by, camelCase or snake_case. Default: convertedAt, newest first.",
    ),
    parameter(
        "sortDirection",
        {"type": "string", "enum": list(SORT_DIRECTIONS)},
        "`asc` (the default when sortBy is given) or `desc`.",
    ),
    parameter(
        "sourceId",
        {"type": "string", "format": "uuid"},
        "Only conversions credited to this campaign or delivery (explicitly or by attribution), as `campaign_id` "
        "/ `delivery_id` on /api/v1/. An id that is not one of your campaigns or deliveries is a 400.",
    ),
]
DETAIL_PARAMETERS = [
    parameter(
        "organizationId",
        ORGANIZATION_PARAMETER_SCHEMA,
        "Optional: your organization's id or slug; any other organization is a 404.",
    )
]


class BrandwaveSchema(EnvelopeAutoSchema):
    """Our schema conventions, plus what this adapter answers beyond them: a 404 on every route (an
    ``organizationId`` that is not the key's), and no empty value for a required query parameter."""

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for item in parameters:
            if item.get("required"):
                item.pop("allowEmptyValue", None)
        return parameters

    def _error_codes(self) -> list[str]:
        codes = super()._error_codes()
        return codes if "404" in codes else [*codes[:2], "404", *codes[2:]]


@extend_schema_view(
    list=extend_schema(
        operation_id="brandwave_conversions_list",
        summary="List conversions (Brandwave: GET /v1/conversions)",
        parameters=LIST_PARAMETERS,
        responses={200: BrandwaveListSerializer},
        description="One page of your conversions: `{items, totalCount, facets}`. `totalCount` counts every "
        'conversion that matches; `facets` counts them per `origin` and per `sourceId` (`""`: none).',
    ),
    create=[
        replayable_create(BrandwaveConversionSerializer, noun="conversion", key="externalRef"),
        extend_schema(
            operation_id="brandwave_conversions_create",
            summary="Record a conversion (Brandwave: POST /v1/conversions)",
        ),
    ],
    retrieve=extend_schema(
        operation_id="brandwave_conversions_retrieve",
        summary="Get a conversion (Brandwave: GET /v1/conversions/:id)",
        parameters=DETAIL_PARAMETERS,
        description="One of your conversions, `{data}`. Another organization's conversion is a 404.",
    ),
    partial_update=extend_schema(
        operation_id="brandwave_conversions_update",
        summary="Update a conversion (Brandwave: PATCH /v1/conversions/:id)",
        parameters=DETAIL_PARAMETERS,
        description="Change `sourceId`, `convertedAt`, `count`, `origin`, `externalRef` (null: none) or `metadata` "
        "(null: empty). It is re-validated and re-attributed, and reports change at once, as on /api/v1/.",
    ),
    destroy=extend_schema(
        operation_id="brandwave_conversions_delete",
        summary="Delete a conversion (Brandwave: DELETE /v1/conversions/:id)",
        parameters=DETAIL_PARAMETERS,
        responses={200: OpenApiResponse(BrandwaveConversionSerializer, description="The deleted conversion.")},
        description="Delete a conversion for good; the answer is its last state. It stays in the audit history "
        "and leaves every report at once.",
    ),
)
@extend_schema(tags=[TAG])
class BrandwaveConversionViewSet(TenantViewSet):
    """Conversions the Brandwave way: camelCase, ``organizationId`` on the route, ``sourceId`` for the credit."""

    queryset = Conversion.objects.all()
    serializer_class = BrandwaveConversionSerializer
    schema = BrandwaveSchema()
    filter_backends = []
    pagination_class = None
    search_fields = ConversionViewSet.search_fields
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    conflict_actions = ("create", "partial_update")
    services = ServiceSet(
        create=brandwave_field_names(services.conversion_create),
        update=brandwave_field_names(services.conversion_update),
        delete=services.conversion_delete,
        instance_argument="conversion",
    )

    def allowed_query_parameters(self) -> set[str]:
        if self.action == "list":
            return spellings(LIST_QUERY_NAMES)
        if self.action in ("retrieve", "partial_update", "destroy"):
            return spellings(DETAIL_QUERY_NAMES)
        return set()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # PUT: not a Brandwave method, so a 405 (TenantViewSet)
        if self.action is None:
            return
        # organizationId names the key's organization, or the route shows nothing: 404 before anything is read.
        names = LIST_QUERY_NAMES if self.action == "list" else DETAIL_QUERY_NAMES
        self.check_organization(camel_case_names(request.query_params.dict(), names).get("organizationId"))
        if self.action in ("create", "partial_update") and isinstance(request.data, dict):
            self.check_organization(camel_case_names(request.data, BODY_NAMES).get("organizationId"))

    def check_organization(self, value) -> None:
        """A non-empty string that is not the key's organization: 404 (shape errors are the serializer's 400)."""
        if isinstance(value, str) and value and not organization_matches(self.organization, value):
            raise exceptions.NotFound("No such organization.")

    def destroy(self, request, *args, **kwargs):
        conversion = self.get_object()
        data = self.get_serializer(conversion).data
        self.perform_destroy(conversion)
        return Response(data)

    def list(self, request, *args, **kwargs):
        query = {
            name: value
            for name, value in camel_case_names(request.query_params.dict(), LIST_QUERY_NAMES).items()
            if value != "" or name in REQUIRED_LIST_PARAMETERS  # an empty optional parameter is no parameter
        }
        parameters = BrandwaveListQuerySerializer(data=query, context=self.get_serializer_context())
        parameters.is_valid(raise_exception=True)
        values = parameters.validated_data
        queryset = self.filtered(self.get_queryset(), values)
        total = queryset.count()
        facets = facet_counts(queryset.annotate(source=Coalesce("delivery_id", "campaign_id")), FACET_NAMES.values())
        page_size = values["pageSize"]
        offset = values["pageIndex"] * page_size
        rows = list(queryset[offset : offset + page_size]) if offset < total else []  # past the end: no query
        response = Response(
            {
                "items": self.get_serializer(rows, many=True).data,
                "totalCount": total,
                "facets": {name: facets[field] for name, field in FACET_NAMES.items()},
            }
        )
        response.enveloped = True
        return response

    def filtered(self, queryset, values: dict):
        """Brandwave's filter, search and sort, through our FilterSet and search."""
        source = values.get("sourceId")
        if source is not None:
            name = "campaign_id" if isinstance(source, Campaign) else "delivery_id"
            filterset = ConversionFilterSet({name: str(source.pk)}, queryset=queryset, request=self.request)
            if not filterset.is_valid():  # the source was resolved in this organization: cannot happen
                raise exceptions.ValidationError({"sourceId": ["Not one of your campaigns or deliveries."]})
            queryset = filterset.qs
        if values.get("searchTerm"):
            queryset = SearchTermFilter(values["searchTerm"]).filter_queryset(self.request, queryset, self)
        sort_by, direction = values.get("sortBy"), values.get("sortDirection")
        if sort_by is None and direction is None:
            return queryset.order_by(*DEFAULT_ORDERING)
        field = SORT_FIELD_BY_SPELLING[sort_by] if sort_by else "converted_at"
        sign = "-" if direction == "desc" else ""
        return queryset.order_by(f"{sign}{field}", f"{sign}pk")
