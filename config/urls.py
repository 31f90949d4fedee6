"""Top-level routes: the admin, the canonical API (/api/v1/), reporting v1 (/reporting/v1/).

``/`` sends people to the admin (staff's home: the dashboard); ``/favicon.ico`` is the site's icon.
"""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("", include("config.api_urls")),
]
