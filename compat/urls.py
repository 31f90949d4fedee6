"""Routes of the vendor adapters: a migrating client changes only its base URL to one of these."""

from django.urls import include, path

urlpatterns = [
    path("topmail/api/v1/", include("compat.topmail.urls")),
    path("brandwave/v1/", include("compat.brandwave.urls")),
    path("everflow/v1/", include("compat.everflow.urls")),
]
