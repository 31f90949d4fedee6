"""Routes of the canonical API and its OpenAPI schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.views import api_not_found

urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("contacts.api.urls")),
    path("api/v1/", include("conversions.api.urls")),
    re_path(r"^api/v1/.*$", api_not_found),
    path("reporting/v1/", include("reporting.api.urls")),
]
