"""Routes of the Everflow adapter (mounted at /compat/everflow/v1/); a trailing slash is optional, anything else is
a 404 in the error envelope."""

from django.urls import re_path

from core.api.views import api_not_found

from . import views

SLASH = r"(?:/)?$"  # rather than /? so that the OpenAPI schema documents Everflow's paths, without the slash

urlpatterns = [
    re_path(
        rf"^networks/conversions/reporting{SLASH}",
        views.EverflowConversionReportingView.as_view(),
        name="everflow-conversions-reporting",
    ),
    re_path(rf"^meta/timezones{SLASH}", views.EverflowTimezonesView.as_view(), name="everflow-meta-timezones"),
    re_path(r"^.*$", api_not_found),
]
