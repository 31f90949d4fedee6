from django.urls import re_path

from .views import OrganizationViewSet

urlpatterns = [
    # One object, the key's organization: with or without the trailing slash, like every route of /api/v1/.
    re_path(
        r"^organization/?$",
        OrganizationViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="organization",
    ),
]
