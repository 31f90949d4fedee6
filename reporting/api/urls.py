"""Routes of reporting v1 (mounted at /reporting/v1/); a trailing slash is optional, anything else is a 404."""

from django.urls import re_path

from accounts.api.views import api_not_found

from . import views

ID = r"(?P<pk>[0-9A-Fa-f-]{32,36})"

urlpatterns = [
    re_path(r"^conversions/totals/?$", views.ConversionTotalsView.as_view(), name="reporting-conversions-totals"),
    re_path(r"^conversions/history/?$", views.ConversionHistoryView.as_view(), name="reporting-conversions-history"),
    re_path(
        r"^conversions/timeframe/?$", views.ConversionTimeframeView.as_view(), name="reporting-conversions-timeframe"
    ),
    re_path(r"^conversions/?$", views.ConversionListView.as_view(), name="reporting-conversions"),
    re_path(
        rf"^deliveries/{ID}/conversions/?$",
        views.DeliveryConversionListView.as_view(),
        name="reporting-delivery-conversions",
    ),
    re_path(
        rf"^campaigns/{ID}/conversions/?$",
        views.CampaignConversionListView.as_view(),
        name="reporting-campaign-conversions",
    ),
    re_path(r"^.*$", api_not_found),
]
