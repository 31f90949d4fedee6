"""Viewsets of /api/v1/: declarative; every write calls exactly one service of ``conversions.services``."""

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.permissions import ReadOnlyForApiKeys
from core.api.schema import replayable_create
from core.api.viewsets import TenantViewSet
from core.services import ServiceSet

from .. import services
from ..filtersets import (
    CampaignFilterSet,
    ConversionFilterSet,
    DeliveryFilterSet,
    ExchangeRateFilterSet,
    RefundFilterSet,
    TouchpointFilterSet,
)
from ..models import Campaign, Conversion, Delivery, ExchangeRate, Refund, Touchpoint
from ..selectors import conversion_explanation
from .serializers import (
    CampaignSerializer,
    ConversionAttributionSerializer,
    ConversionBatchResultSerializer,
    ConversionBatchSerializer,
    ConversionSerializer,
    DeliverySerializer,
    ExchangeRateSerializer,
    RefundSerializer,
    TouchpointSerializer,
    batch_item_result,
    validate_batch_items,
)


class CampaignViewSet(TenantViewSet):
    """Campaigns: one-off e-mail sends that conversions are credited to."""

    queryset = Campaign.objects.all()
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    conflict_actions = ("create", "update", "partial_update")  # an external_id another row has
    ordering_fields = ["name", "status", "language", "sent_at", "external_id", "created_at", "updated_at"]
    ordering = ["-created_at"]
    search_fields = ["name", "external_id"]
    facet_fields = ("status", "language")

    services = ServiceSet(
        create=services.campaign_create, update=services.campaign_update, delete=services.campaign_delete
    )


class DeliveryViewSet(TenantViewSet):
    """Deliveries: automated (smartflow) or campaign sends; credit to a delivery counts for its campaign too."""

    queryset = Delivery.objects.all()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    conflict_actions = ("create", "update", "partial_update")  # an external_id another row has
    ordering_fields = ["name", "kind", "language", "external_id", "created_at", "updated_at"]
    ordering = ["-created_at"]
    search_fields = ["name", "external_id"]
    facet_fields = ("kind", "language", "campaign_id")

    services = ServiceSet(
        create=services.delivery_create, update=services.delivery_update, delete=services.delivery_delete
    )


@extend_schema_view(create=replayable_create(TouchpointSerializer, noun="touchpoint", key="external_id"))
class TouchpointViewSet(TenantViewSet):
    """Touchpoints: what a contact did with a campaign or delivery; opens and clicks earn attribution credit.

    A touchpoint that arrives after a conversion it should have credited re-attributes it in the background.
    """

    queryset = Touchpoint.objects.all()
    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilterSet
    ordering_fields = ["occurred_at", "kind", "created_at", "updated_at"]
    ordering = ["-occurred_at"]
    facet_fields = ("kind",)

    conflict_actions = ("create",)
    services = ServiceSet(
        create=services.touchpoint_create_or_replay,
        update=services.touchpoint_update,
        delete=services.touchpoint_delete,
    )


@extend_schema_view(create=replayable_create(ConversionSerializer, noun="conversion", key="order_id"))
class ConversionViewSet(TenantViewSet):
    """Conversions: purchases, sign-ups, upgrades and other events, the revenue they brought and its credit.

    `order_id` deduplicates: an identical repeat is a replay, a differing one a 409 conflict.
    """

    queryset = Conversion.objects.prefetch_related("attributions")
    serializer_class = ConversionSerializer
    filterset_class = ConversionFilterSet
    ordering_fields = [
        "converted_at", "created_at", "updated_at", "revenue", "revenue_without_tax", "reference_revenue", "count",
        "order_id", "type", "status", "currency", "country", "origin",
    ]  # fmt: skip
    ordering = ["-converted_at"]
    search_fields = ["order_id", "coupon_code", "contact__email"]
    facet_fields = ("type", "status", "currency", "country", "origin")
    conflict_actions = ("create", "update", "partial_update")
    services = ServiceSet(
        create=services.conversion_create, update=services.conversion_update, delete=services.conversion_delete
    )

    @extend_schema(
        request=inline_serializer(
            "ConversionBatchRequest",
            {"conversions": ConversionSerializer(many=True, help_text="At most 1000 conversions.")},
        ),
        responses={200: ConversionBatchResultSerializer},
        description="Store up to 1000 conversions. Each item is validated and stored on its own (a bad item never "
        "blocks the others) and gets a result: `created`, `duplicate` (an identical replay of an existing "
        "order_id) or `error` (its `error` is the envelope a single POST would have answered).",
    )
    @action(detail=False, methods=["post"], url_path="batch", serializer_class=ConversionSerializer)
    def batch(self, request):
        body = ConversionBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = body.validated_data["conversions"]
        # One serializer for every item: its fields (and their scoped querysets) are built once, not 1000 times.
        valid, shape_errors = validate_batch_items(self.get_serializer(), items)
        outcomes = dict(
            zip(
                valid,
                services.conversions_create_batch(organization=self.organization, items=list(valid.values())),
                strict=True,
            )
        )
        results = [
            batch_item_result(index, shape_errors.get(index), outcomes.get(index)) for index in range(len(items))
        ]
        response = Response(
            {"data": results, "summary": services.batch_summary(result["status"] for result in results)}
        )
        response.enveloped = True
        return response

    @extend_schema(
        responses={200: ConversionAttributionSerializer},
        description="Why this conversion has its credit: the model and windows used, whether explicit credit "
        "applied, and every touchpoint of its contact from the longest window before it to 90 days after it, each "
        "`counted` (with its weight) or with the reason it earned nothing; then the stored credit. Computed by the "
        "same rule that computes the credit (docs/attribution.md).",
    )
    @action(detail=True, methods=["get"], url_path="attribution")
    def attribution(self, request, pk=None):
        conversion = self.get_object()
        conversion.organization = self.organization  # the key's, which scoped it: no query to read it again
        explanation = conversion_explanation(conversion)
        return Response(
            ConversionAttributionSerializer(ConversionAttributionSerializer.represent(conversion, explanation)).data
        )


class RefundViewSet(TenantViewSet):
    """Refunds: the immutable ledger of money given back on conversions, of every conversion of the organization.

    Entries are never changed or deleted (PUT, PATCH and DELETE are 405); a mistaken refund is corrected by a
    reversal (`POST /api/v1/conversions/{id}/refunds/` with `reverses_id`).
    """

    queryset = Refund.objects.select_related("conversion", "reversal")
    serializer_class = RefundSerializer
    filterset_class = RefundFilterSet
    http_method_names = ["get", "head", "options"]
    ordering_fields = ["refunded_at", "amount", "reason", "created_at"]
    ordering = ["-refunded_at", "-created_at"]
    search_fields = ["external_ref", "note", "conversion__order_id"]
    facet_fields = ("reason",)


CONVERSION_ID_PARAMETER = OpenApiParameter("conversion_id", str, OpenApiParameter.PATH, description="A conversion id.")


@extend_schema_view(
    list=extend_schema(parameters=[CONVERSION_ID_PARAMETER], description="The refunds of one conversion."),
    create=replayable_create(RefundSerializer, noun="refund", key="external_ref"),
)
class ConversionRefundViewSet(RefundViewSet):
    """Refunds of one conversion: its ledger, and where a refund (or a reversal) is recorded.

    A refund is at most what remains of the revenue (the 400 says how much remains), exact under concurrency: the
    conversion is locked while its refund is checked and stored.
    """

    http_method_names = ["get", "post", "head", "options"]
    conflict_actions = ("create",)
    services = ServiceSet(create=services.refund_create)

    @property
    def conversion(self) -> Conversion:
        if not hasattr(self, "_conversion"):
            # Scoped like every row of the API: unknown, malformed or another organization's is a 404.
            try:
                conversion_id = uuid.UUID(self.kwargs["conversion_id"])
            except ValueError:
                raise NotFound() from None
            scope = Conversion.objects.for_organization(self.organization)
            self._conversion = get_object_or_404(scope, pk=conversion_id)
        return self._conversion

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        return queryset.filter(conversion=self.conversion)

    def perform_create(self, serializer):
        serializer.validated_data["conversion"] = self.conversion
        super().perform_create(serializer)


class ExchangeRateViewSet(TenantViewSet):
    """Rates per 1 EUR are shared by every organization: any key reads them, only staff (admin) write them."""

    queryset = ExchangeRate.objects.all()
    serializer_class = ExchangeRateSerializer
    filterset_class = ExchangeRateFilterSet
    permission_classes = [ReadOnlyForApiKeys]
    ordering_fields = ["date", "currency", "rate", "created_at", "updated_at"]
    ordering = ["-date", "currency"]
    search_fields = ["currency"]
    facet_fields = ("currency",)

    def get_queryset(self):
        # Not tenant data: the one viewset that skips the organization scope, on purpose.
        return self.queryset.all()

    services = ServiceSet(
        update=services.exchange_rate_update, delete=services.exchange_rate_delete, instance_argument="exchange_rate"
    )

    def perform_create(self, serializer):
        # Rates are global, not tenant rows: created by (currency, date) without an organization.
        data = serializer.validated_data
        serializer.instance, _ = services.exchange_rate_set(
            currency=data["currency"], on_date=data["date"], rate=data["rate"]
        )
