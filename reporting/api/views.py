"""Reporting v1 endpoints: parse the query string, call one selector, represent its answer.

Same API-key authentication, permissions, throttling and error envelope as /api/v1 (the DRF defaults); success
bodies are the seed shapes, not wrapped in ``{"data": ...}``.
"""

import uuid

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import comparison, selectors
from ..aggregation import Filters
from . import serializers

EXACTNESS_NOTE = (
    "Exact at every moment: a write is included as soon as its API call returned, whatever the state of the "
    "background rollups. Days are local days of the organization's time zone (DST-aware). Status defaults to "
    "`approved`. Money is rounded half-up to 2 decimals at the end. Conversions whose reference amount is not "
    "known yet (no exchange rate for their date) contribute 0 to reference-currency sums until a rate arrives. "
    "With `campaignId`/`deliveryId`, figures are the credit given to it: amounts × attribution weight, and "
    "`conversionsNumber` = sum of count × weight (a conversion split between two deliveries counts ½ for each)."
)


class ReportView(APIView):
    """Base: strict query parameters (any unknown one is a 400) turned into a ``ReportQuery``."""

    parameters_serializer_class = serializers.ReportParametersSerializer

    @property
    def organization(self):
        return self.request.user.organization

    def parameters(self, request, **scope) -> tuple[selectors.ReportQuery, dict]:
        serializer_class = self.parameters_serializer_class
        known = serializer_class().fields
        unknown = sorted(set(request.query_params) - set(known))
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown query parameter."] for name in unknown})
        data = {}
        for name, values in request.query_params.lists():
            is_list = isinstance(known[name], serializers.CommaListField)
            data[name] = ",".join(values) if is_list else values[-1]
        serializer = serializer_class(data=data, context={"organization": self.organization})
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        campaign_id = values.get("campaignId")
        delivery_id = values.get("deliveryId")
        selectors.report_check_targets(organization=self.organization, campaign_id=campaign_id, delivery_id=delivery_id)
        filters = Filters(
            currencies=values.get("currency") or (),
            countries=values.get("country") or (),
            types=values.get("type") or (),
            statuses=values.get("status") or selectors.DEFAULT_STATUSES,
            campaign_id=scope.get("campaign_id", campaign_id),
            delivery_id=scope.get("delivery_id", delivery_id),
        )
        query = selectors.ReportQuery(
            organization=self.organization, date_from=values["dateFrom"], date_to=values["dateTo"], filters=filters
        )
        return query, values


class ConversionTotalsView(ReportView):
    @extend_schema(
        operation_id="reporting_conversions_totals",
        tags=["reporting"],
        summary="Get total conversions",
        description="Totals of the period: sums of reference amounts, the number of conversions (sum of `count`), "
        "averages, distinct contacts and a breakdown per original currency by number descending. " + EXACTNESS_NOTE,
        parameters=[serializers.ReportParametersSerializer],
        responses={200: serializers.TotalsSerializer},
    )
    def get(self, request):
        query, _ = self.parameters(request)
        return Response(serializers.TotalsSerializer(selectors.conversions_totals(query)).data)


class ConversionHistoryView(ReportView):
    parameters_serializer_class = serializers.HistoryParametersSerializer

    @extend_schema(
        operation_id="reporting_conversions_history",
        tags=["reporting"],
        summary="Get conversions history",
        description="One row per day, week (starting Monday) or month meeting the range, empty ones included; "
        "`date` is the interval's first day (it may precede `dateFrom`; only days in the range are counted). "
        + EXACTNESS_NOTE,
        parameters=[serializers.HistoryParametersSerializer],
        responses={200: serializers.HistorySerializer},
    )
    def get(self, request):
        query, values = self.parameters(request)
        interval = values["interval"]
        rows = selectors.conversions_history(query, interval=interval)
        answer = {"currency": self.organization.reference_currency, "interval": interval, "history": rows}
        return Response(serializers.HistorySerializer(answer).data)


class ConversionTimeframeView(ReportView):
    parameters_serializer_class = serializers.TimeframeParametersSerializer

    @extend_schema(
        operation_id="reporting_conversions_timeframe",
        tags=["reporting"],
        summary="Get conversions by timeframe",
        description="When conversions happen: one row per local hour of the day (`by=hour`, 0..23) or ISO "
        "weekday (`by=weekday`, 1 = Monday .. 7 = Sunday), all present, summed over the range. " + EXACTNESS_NOTE,
        parameters=[serializers.TimeframeParametersSerializer],
        responses={200: serializers.TimeframeSerializer},
    )
    def get(self, request):
        query, values = self.parameters(request)
        by = values["by"]
        rows = selectors.conversions_timeframe(query, by=by)
        answer = {"currency": self.organization.reference_currency, "by": by, "timeframe": rows}
        return Response(serializers.TimeframeSerializer(answer, context={"by": by}).data)


class ConversionListView(ReportView):
    """The conversions of the range, one page at a time; the scoped subclasses list a delivery's or campaign's."""

    parameters_serializer_class = serializers.ListParametersSerializer

    def scope(self, **kwargs) -> dict:
        return {}

    def listing(self, request, **kwargs):
        query, values = self.parameters(request, **self.scope(**kwargs))
        limit, offset = values["limit"], values["offset"]
        page, total = selectors.conversions_list(
            query, limit=limit, offset=offset, sort=values.get("sort") or selectors.LIST_DEFAULT_SORT
        )
        answer = {"conversions": page, "paging": {"start": offset, "count": len(page), "totalCount": total}}
        context = {"zone": self.organization.zone}
        return Response(serializers.ConversionListSerializer(answer, context=context).data)

    @extend_schema(
        operation_id="reporting_conversions_list",
        tags=["reporting"],
        summary="Get conversions list",
        description="Conversions of the range that pass the filters, newest first by default. `campaignId`/"
        "`deliveryId` of a row are those of its largest credit. Exact at every moment (read from the raw rows).",
        parameters=[serializers.ListParametersSerializer],
        responses={200: serializers.ConversionListSerializer},
    )
    def get(self, request):
        return self.listing(request)


class ScopedConversionListView(ConversionListView):
    scope_name = ""

    def scope(self, **kwargs) -> dict:
        try:
            target_id = uuid.UUID(kwargs["pk"])
        except ValueError:
            raise Http404 from None  # a malformed id is just an unknown one
        find = selectors.report_campaign if self.scope_name == "campaign" else selectors.report_delivery
        target = find(organization=self.organization, **{f"{self.scope_name}_id": target_id})
        if target is None:
            raise Http404
        return {f"{self.scope_name}_id": target.pk}


def _scoped_schema(name: str, parameters_serializer):
    return extend_schema(
        operation_id=f"reporting_{name}_conversions",
        tags=["reporting"],
        summary=f"Get {name} conversions",
        description=f"The conversions credited to this {name} (explicitly or by attribution), as in the "
        f"conversions list, with the same parameters but `{name}Id` (it is the path's); `{name}Id` of each row is "
        f"this {name}. Unknown {name}: 404.",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            parameters_serializer,
        ],
        responses={200: serializers.ConversionListSerializer},
    )


class DeliveryConversionListView(ScopedConversionListView):
    scope_name = "delivery"
    parameters_serializer_class = serializers.DeliveryListParametersSerializer

    @_scoped_schema("delivery", serializers.DeliveryListParametersSerializer)
    def get(self, request, pk):
        return self.listing(request, pk=pk)


class CampaignConversionListView(ScopedConversionListView):
    scope_name = "campaign"
    parameters_serializer_class = serializers.CampaignListParametersSerializer

    @_scoped_schema("campaign", serializers.CampaignListParametersSerializer)
    def get(self, request, pk):
        return self.listing(request, pk=pk)


class AttributionComparisonView(ReportView):
    parameters_serializer_class = serializers.ComparisonParametersSerializer

    @extend_schema(
        operation_id="reporting_attribution_comparison",
        tags=["reporting"],
        summary="Compare attribution models",
        description="Credited conversions and reference revenue per campaign and per delivery under each "
        "attribution model side by side, over the range's conversions without explicit credit (no `campaign_id`/"
        "`delivery_id` of their own), all computed from the same touchpoints as the stored credit. The stored "
        "credit (each conversion's own model) keeps driving every other report. `totals` holds each model's "
        "credit over all targets; `uncredited` the conversions no model credits (no candidate touchpoint); "
        "`totalsEqual` says whether the totals agree (they always do: every model credits a conversion with a "
        "candidate in full). Refunds are not subtracted: amounts are gross, as `conversionsAmountWTax` of the "
        "other reports; refunded conversions are left out by the default `status=approved`. " + EXACTNESS_NOTE,
        parameters=[serializers.ComparisonParametersSerializer],
        responses={200: serializers.ComparisonSerializer},
    )
    def get(self, request):
        query, values = self.parameters(request)
        answer = comparison.attribution_comparison(query, models=values.get("models") or comparison.comparison_models())
        return Response(serializers.ComparisonSerializer(answer).data)
