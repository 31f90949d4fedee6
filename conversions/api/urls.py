from core.api.routers import OptionalSlashRouter

from .views import CampaignViewSet, ConversionViewSet, DeliveryViewSet, ExchangeRateViewSet, TouchpointViewSet

router = OptionalSlashRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")

urlpatterns = router.urls
