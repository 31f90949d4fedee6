from core.api.routers import OptionalSlashRouter

from .views import ContactViewSet

router = OptionalSlashRouter()
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = router.urls
