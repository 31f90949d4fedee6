from django.urls import re_path

from core.api.routers import OptionalSlashRouter

from .views import (
    CampaignViewSet,
    ConversionRefundViewSet,
    ConversionViewSet,
    DeliveryViewSet,
    ExchangeRateViewSet,
    RefundViewSet,
    TouchpointViewSet,
)

router = OptionalSlashRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("refunds", RefundViewSet, basename="refund")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")

urlpatterns = [
    # A conversion's refund ledger: GET lists it, POST records a refund or a reversal (no PUT, PATCH or DELETE).
    re_path(
        r"^conversions/(?P<conversion_id>[^/.]+)/refunds/?$",
        ConversionRefundViewSet.as_view({"get": "list", "post": "create"}),
        name="conversion-refunds",
    ),
    *router.urls,
]
