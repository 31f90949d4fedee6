"""CSV columns of contacts: the API's field names. A row whose e-mail (or, without one, client_contact_id)
already exists updates that contact through ``contact_update``; any other row is created by ``contact_create``."""

from import_export import fields, widgets
from import_export.results import RowResult

from core.import_export import IsoDateTimeWidget, ServiceResource

from .models import Contact
from .services import contact_create, contact_update, normalize_email


def _column(name, widget=None, readonly=False):
    return fields.Field(attribute=name, column_name=name, widget=widget or widgets.Widget(), readonly=readonly)


class ContactResource(ServiceResource):
    id = _column("id", readonly=True)
    email = _column("email")
    client_contact_id = _column("client_contact_id")
    first_name = _column("first_name")
    surname = _column("surname")
    country = _column("country")
    language = _column("language")
    created_at = _column("created_at", widget=IsoDateTimeWidget(), readonly=True)

    service_columns = ("email", "client_contact_id", "first_name", "surname", "country", "language")

    class Meta:
        model = Contact
        name = "Contacts (CSV columns = API fields)"
        fields = ("id", "email", "client_contact_id", "first_name", "surname", "country", "language", "created_at")

    def find_existing(self, row):
        contacts = Contact.objects.for_organization(self.organization)
        email = normalize_email(str(row.get("email") or ""))
        if email:
            return contacts.filter(email=email).first()
        client_contact_id = str(row.get("client_contact_id") or "").strip()
        if client_contact_id:
            return contacts.filter(client_contact_id=client_contact_id).first()
        return None

    def write_row(self, instance, is_create, values):
        if is_create:
            return contact_create(organization=self.organization, **values), RowResult.IMPORT_TYPE_NEW
        return contact_update(contact=instance, **values), RowResult.IMPORT_TYPE_UPDATE
