from core.api.viewsets import TenantViewSet

from ..filtersets import ContactFilterSet
from ..models import Contact
from ..services import contact_create, contact_delete, contact_update
from .serializers import ContactSerializer


class ContactViewSet(TenantViewSet):
    """Contacts: the people who convert; e-mail (lower-case) and client_contact_id are unique per organization."""

    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    ordering_fields = ["created_at", "updated_at", "email", "surname", "client_contact_id"]
    ordering = ["-created_at"]
    search_fields = ["email", "first_name", "surname", "client_contact_id"]
    facet_fields = ("country", "language")

    def perform_create(self, serializer):
        serializer.instance = contact_create(organization=self.organization, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = contact_update(contact=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        contact_delete(contact=instance)
