from core.api.viewsets import TenantViewSet
from core.services import ServiceSet

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
    services = ServiceSet(create=contact_create, update=contact_update, delete=contact_delete)
