"""Routes of reporting v1 (mounted at /reporting/v1/); a trailing slash is optional, anything else is a 404.

``(?:/)?`` rather than ``/?`` so that the OpenAPI schema documents the seed's paths, without the slash.
"""

from django.urls import re_path

from core.api.views import api_not_found

from . import views

ID = r"(?P<pk>[0-9A-Fa-f-]{32,36})"
SLASH = r"(?:/)?$"

urlpatterns = [
    re_path(rf"^conversions/totals{SLASH}", views.ConversionTotalsView.as_view(), name="reporting-conversions-totals"),
    re_path(
        rf"^conversions/history{SLASH}", views.ConversionHistoryView.as_view(), name="reporting-conversions-history"
    ),
    re_path(
        rf"^conversions/timeframe{SLASH}",
        views.ConversionTimeframeView.as_view(),
        name="reporting-conversions-timeframe",
    ),
    re_path(rf"^conversions{SLASH}", views.ConversionListView.as_view(), name="reporting-conversions"),
    re_path(
        rf"^deliveries/{ID}/conversions{SLASH}",
        views.DeliveryConversionListView.as_view(),
        name="reporting-delivery-conversions",
    ),
    re_path(
        rf"^campaigns/{ID}/conversions{SLASH}",
        views.CampaignConversionListView.as_view(),
        name="reporting-campaign-conversions",
    ),
    re_path(
        rf"^attribution/comparison{SLASH}",
        views.AttributionComparisonView.as_view(),
        name="reporting-attribution-comparison",
    ),
    re_path(r"^.*$", api_not_found),
]
