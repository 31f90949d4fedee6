"""One FilterSet per model, reused by the API, exports and tests.

Filters that name another row (``contact_id``, ``campaign_id``, ``delivery_id``) only accept rows of the
caller's organization (``core.filtersets.organization_rows``). Every tenant FilterSet inherits
``created_after`` / ``created_before`` from ``core.filtersets.TenantFilterSet``.
"""

import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from contacts.models import Contact
from core.filtersets import (
    IsoDateTimeFilter,
    LowerCaseFilter,
    StrictBooleanFilter,
    TenantFilterSet,
    UpperCaseFilter,
    organization_rows,
)

from .models import Attribution, Campaign, Conversion, Delivery, ExchangeRate, Refund, Touchpoint


class CampaignFilterSet(TenantFilterSet):
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    language = LowerCaseFilter()
    sent_after = IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")
    sent_before = IsoDateTimeFilter(field_name="sent_at", lookup_expr="lte")
    external_id = django_filters.CharFilter()

    class Meta:
        model = Campaign
        fields = ["status", "language", "sent_after", "sent_before", "external_id"]


class DeliveryFilterSet(TenantFilterSet):
    kind = django_filters.ChoiceFilter(choices=Delivery.Kind.choices)
    campaign_id = django_filters.ModelChoiceFilter(field_name="campaign", queryset=organization_rows(Campaign))
    language = LowerCaseFilter()
    external_id = django_filters.CharFilter()

    class Meta:
        model = Delivery
        fields = ["kind", "campaign_id", "language", "external_id"]


class TouchpointFilterSet(TenantFilterSet):
    contact_id = django_filters.ModelChoiceFilter(field_name="contact", queryset=organization_rows(Contact))
    campaign_id = django_filters.ModelChoiceFilter(queryset=organization_rows(Campaign), method="filter_campaign")
    delivery_id = django_filters.ModelChoiceFilter(field_name="delivery", queryset=organization_rows(Delivery))
    kind = django_filters.ChoiceFilter(choices=Touchpoint.Kind.choices)
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")
    is_machine = StrictBooleanFilter()

    class Meta:
        model = Touchpoint
        fields = ["contact_id", "campaign_id", "delivery_id", "kind", "occurred_after", "occurred_before", "is_machine"]

    def filter_campaign(self, queryset, name, value):
        # A touch on a delivery of the campaign is a touch on the campaign, as credit to a delivery is.
        return queryset.filter(Q(campaign=value) | Q(delivery__campaign=value))


class ConversionFilterSet(TenantFilterSet):
    contact_id = django_filters.ModelChoiceFilter(field_name="contact", queryset=organization_rows(Contact))
    campaign_id = django_filters.ModelChoiceFilter(queryset=organization_rows(Campaign), method="filter_attributed")
    delivery_id = django_filters.ModelChoiceFilter(queryset=organization_rows(Delivery), method="filter_attributed")
    type = django_filters.ChoiceFilter(choices=Conversion.Type.choices)
    status = django_filters.ChoiceFilter(choices=Conversion.Status.choices)
    currency = UpperCaseFilter()
    country = UpperCaseFilter()
    origin = django_filters.CharFilter()
    order_id = django_filters.CharFilter()
    converted_after = IsoDateTimeFilter(field_name="converted_at", lookup_expr="gte")
    converted_before = IsoDateTimeFilter(field_name="converted_at", lookup_expr="lte")
    revenue_min = django_filters.NumberFilter(field_name="revenue", lookup_expr="gte")
    revenue_max = django_filters.NumberFilter(field_name="revenue", lookup_expr="lte")

    class Meta:
        model = Conversion
        fields = [
            "contact_id", "campaign_id", "delivery_id", "type", "status", "currency", "country", "origin",
            "order_id", "converted_after", "converted_before", "revenue_min", "revenue_max",
        ]  # fmt: skip

    def filter_attributed(self, queryset, name, value):
        """Conversions credited to this campaign or delivery, explicitly or by their touchpoints.

        Credit lives in the attribution rows (a delivery's credit also names its campaign there); an ``Exists``
        subquery keeps one row per conversion without a DISTINCT over the whole list.
        """
        target = "campaign" if name == "campaign_id" else "delivery"
        credited = Attribution.objects.filter(conversion=OuterRef("pk"), **{target: value})
        return queryset.filter(Exists(credited))


class RefundFilterSet(TenantFilterSet):
    conversion_id = django_filters.ModelChoiceFilter(field_name="conversion", queryset=organization_rows(Conversion))
    reason = django_filters.ChoiceFilter(choices=Refund.Reason.choices)
    refunded_after = IsoDateTimeFilter(field_name="refunded_at", lookup_expr="gte")
    refunded_before = IsoDateTimeFilter(field_name="refunded_at", lookup_expr="lte")
    campaign_id = django_filters.ModelChoiceFilter(queryset=organization_rows(Campaign), method="filter_credited")
    delivery_id = django_filters.ModelChoiceFilter(queryset=organization_rows(Delivery), method="filter_credited")

    class Meta:
        model = Refund
        fields = ["conversion_id", "reason", "refunded_after", "refunded_before", "campaign_id", "delivery_id"]

    @extend_schema_field(OpenApiTypes.UUID)
    def filter_credited(self, queryset, name, value):
        """Refunds of conversions credited to this campaign or delivery (explicitly or by touchpoints)."""
        target = "campaign" if name == "campaign_id" else "delivery"
        credited = Attribution.objects.filter(conversion=OuterRef("conversion_id"), **{target: value})
        return queryset.filter(Exists(credited))


class ExchangeRateFilterSet(django_filters.FilterSet):
    currency = UpperCaseFilter()
    date = django_filters.DateFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = ExchangeRate
        fields = ["currency", "date", "date_after", "date_before"]
