"""Routes of the Topmail adapter (mounted at /compat/topmail/api/v1/): ``conversions``, trailing slash optional.

``(?:/)?`` rather than ``/?`` so that the OpenAPI schema documents Topmail's own path, without the slash.
"""

from django.urls import re_path

from .views import TopmailConversionViewSet

urlpatterns = [
    re_path(
        r"^conversions(?:/)?$",
        TopmailConversionViewSet.as_view({"get": "list", "post": "create"}),
        name="topmail-conversions",
    ),
]
