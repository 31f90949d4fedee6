"""The webhooks' FilterSets, reused by the API and tests."""

import django_filters

from core.filtersets import TenantFilterSet, organization_rows

from .models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilterSet(TenantFilterSet):
    kind = django_filters.ChoiceFilter(choices=WebhookEndpoint.Kind.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = WebhookEndpoint
        fields = ["kind", "active"]


class WebhookDeliveryFilterSet(TenantFilterSet):
    endpoint_id = django_filters.ModelChoiceFilter(field_name="endpoint", queryset=organization_rows(WebhookEndpoint))
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event_type = django_filters.CharFilter(field_name="event__type")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint_id", "status", "event_type"]
