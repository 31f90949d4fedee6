"""Routes of the canonical API and its OpenAPI schema and docs.

The docs page is the split Swagger view: its start-up script is a separate request (``?script``), not inline, so
the Content-Security-Policy needs no inline scripts.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api.views import api_not_found

urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("contacts.api.urls")),
    path("api/v1/", include("conversions.api.urls")),
    path("api/v1/", include("webhooks.api.urls")),
    re_path(r"^api/v1/.*$", api_not_found),
    path("reporting/v1/", include("reporting.api.urls")),
    path("compat/", include("compat.urls")),
    re_path(r"^compat/.*$", api_not_found),
]
