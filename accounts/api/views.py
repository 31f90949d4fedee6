"""The API key's own organization: read its settings, change its name and attribution settings."""

from core.api.viewsets import TenantViewSet
from core.services import ServiceSet

from ..models import Organization
from ..services import organization_update
from .serializers import OrganizationSerializer


class OrganizationViewSet(TenantViewSet):
    """``GET`` and ``PATCH`` of one object, the key's organization: there is no list, create, PUT or DELETE.

    Changed defaults apply to conversions written from now on; nothing stored is re-attributed.
    """

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = None
    filter_backends = []
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]
    services = ServiceSet(update=organization_update)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: there is no API key
            return Organization.objects.none()
        return Organization.objects.filter(pk=self.organization.pk)

    def get_object(self):
        organization = self.get_queryset().get()
        self.check_object_permissions(self.request, organization)
        return organization
