"""Routes of the Brandwave adapter: ``conversions`` and ``conversions/{id}``, with or without a trailing slash."""

from core.api.routers import OptionalSlashRouter

from .views import BrandwaveConversionViewSet

router = OptionalSlashRouter()
router.register("conversions", BrandwaveConversionViewSet, basename="brandwave-conversion")

urlpatterns = router.urls
