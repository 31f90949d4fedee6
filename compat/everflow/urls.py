"""Routes of the Everflow adapter."""

urlpatterns = []
