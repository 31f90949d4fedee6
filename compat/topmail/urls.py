"""Routes of the Topmail adapter."""

urlpatterns = []
