"""Top-level routes: the admin, the canonical API (/api/v1/), reporting v1 (/reporting/v1/)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("config.api_urls")),
]
