"""Routes of the Brandwave adapter."""

urlpatterns = []
