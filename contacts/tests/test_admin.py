"""The contact admin: writes through ``contacts.services``, history with revert, CSV import and export."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Contact
from contacts.services import contact_create, contact_delete, contact_update

CHANGELIST = reverse("admin:contacts_contact_changelist")
ADD = reverse("admin:contacts_contact_add")
IMPORT = reverse("admin:contacts_contact_import")
PROCESS_IMPORT = reverse("admin:contacts_contact_process_import")


def _change(contact):
    return reverse("admin:contacts_contact_change", args=[contact.pk])


def _form(**overrides):
    return {"email": "", "client_contact_id": "", "first_name": "", "surname": "", "country": "", "language": "",
            **overrides}  # fmt: skip


@pytest.mark.django_db
def test_add_normalises_through_the_service(admin_a, organization, staff_a):
    response = admin_a.post(ADD, _form(email="Jane.Doe@Example.COM", country="cz", language="CS"))
    assert response.status_code == 302, response.content.decode()[:2000]
    contact = Contact.objects.get()
    assert contact.email == "jane.doe@example.com" and contact.country == "CZ" and contact.language == "cs"
    assert contact.organization == organization
    assert contact.history.get().history_user == staff_a


@pytest.mark.django_db
def test_duplicate_email_is_a_form_error_not_a_server_error(admin_a, organization, other_organization):
    contact_create(organization=organization, email="taken@example.com")
    contact_create(organization=other_organization, email="other@example.com")
    response = admin_a.post(ADD, _form(email="TAKEN@example.com"))
    assert response.status_code == 200
    assert "A contact with this e-mail already exists." in response.content.decode()
    # The same e-mail in another organization is no clash.
    assert admin_a.post(ADD, _form(email="other@example.com")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "status"), [("CZ", 302), ("XX", 200)])
def test_country_code_is_checked_by_the_service(admin_a, organization, country, status):
    assert admin_a.post(ADD, _form(email="c@example.com", country=country)).status_code == status


@pytest.mark.django_db
def test_client_contact_id_length_just_inside_and_outside(admin_a, organization):
    assert admin_a.post(ADD, _form(client_contact_id="x" * 101)).status_code == 200
    assert admin_a.post(ADD, _form(client_contact_id="x" * 100)).status_code == 302
    assert Contact.objects.get().client_contact_id == "x" * 100


@pytest.mark.django_db
def test_history_shows_the_diff_and_reverts_through_the_service(admin_a, staff_a, organization):
    contact = contact_create(organization=organization, email="first@example.com", first_name="Ann")
    original = contact.history.get()
    contact_update(contact=contact, first_name="Anna", country="SK")
    history = admin_a.get(reverse("admin:contacts_contact_history", args=[contact.pk])).content.decode()
    assert "Ann" in history and "Anna" in history and "SK" in history
    revert_url = reverse("admin:contacts_contact_simple_history", args=[contact.pk, original.history_id])
    response = admin_a.post(revert_url, _form(email="FIRST@example.com", first_name="Ann"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "Ann" and contact.country == "" and contact.email == "first@example.com"
    assert contact.history.latest().history_user == staff_a


@pytest.mark.django_db
def test_history_of_another_organizations_contact_is_not_found(admin_b, organization):
    contact = contact_create(organization=organization, email="private@example.com")
    assert admin_b.get(reverse("admin:contacts_contact_history", args=[contact.pk])).status_code == 404
    assert admin_b.get(reverse("admin:contacts_contact_history", args=["not-a-uuid"])).status_code == 404


# --- CSV ------------------------------------------------------------------------------------------------------------


def _upload(client, organization, text):
    return client.post(
        IMPORT,
        {
            "organization": str(organization.pk),
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv"),
        },
    )


@pytest.mark.django_db
def test_import_preview_lists_row_errors_and_writes_nothing(admin_a, organization):
    text = "email,first_name,country\nok@example.com,Ok,CZ\nbad@example.com,Bad,XX\nnot-an-email,Worse,CZ\n"
    response = _upload(admin_a, organization, text)
    page = response.content.decode()
    assert "Some rows failed to validate" in page
    assert "&#x27;XX&#x27; is not an ISO 3166-1 alpha-2 country code." in page
    assert "Enter a valid email address." in page
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_import_creates_and_updates_through_the_service(admin_a, staff_a, organization):
    existing = contact_create(organization=organization, email="known@example.com", first_name="Old")
    text = "email,client_contact_id,first_name,country\nKNOWN@example.com,,New,CZ\nfresh@example.com,c-9,Fresh,sk\n"
    preview = _upload(admin_a, organization, text)
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["update", "new"]
    assert Contact.objects.count() == 1
    form = preview.context["confirm_form"]
    assert admin_a.post(PROCESS_IMPORT, dict(form.initial)).status_code == 302
    existing.refresh_from_db()
    assert existing.first_name == "New" and existing.country == "CZ"
    fresh = Contact.objects.get(email="fresh@example.com")
    assert fresh.country == "SK" and fresh.client_contact_id == "c-9" and fresh.organization == organization
    assert fresh.history.get().history_user == staff_a


@pytest.mark.django_db
def test_export_has_the_api_columns_and_only_the_filtered_scoped_rows(admin_a, organization, other_organization):
    contact_create(organization=organization, email="cz@example.com", country="CZ")
    contact_create(organization=organization, email="sk@example.com", country="SK")
    contact_create(organization=other_organization, email="theirs@example.com", country="CZ")
    response = admin_a.post(reverse("admin:contacts_contact_export") + "?country=CZ", {"format": "0", "resource": "0"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["email"] for row in rows] == ["cz@example.com"]
    assert list(rows[0]) == [
        "id", "email", "client_contact_id", "first_name", "surname", "country", "language", "created_at",
    ]  # fmt: skip


@pytest.mark.django_db
def test_export_selected_action(admin_a, organization):
    chosen = contact_create(organization=organization, email="chosen@example.com")
    contact_create(organization=organization, email="skipped@example.com")
    response = admin_a.post(CHANGELIST, {"action": "export_selected_csv", "_selected_action": [str(chosen.pk)]})
    content = response.content.decode()
    assert "chosen@example.com" in content and "skipped@example.com" not in content


@pytest.mark.django_db
def test_history_page_of_a_row_without_history_and_of_a_deleted_row(admin_a, admin_b, organization):
    bulk_loaded = Contact.objects.create(organization=organization, email="bulk@example.com")  # no history row
    bulk_loaded.history.all().delete()
    url = reverse("admin:contacts_contact_history", args=[bulk_loaded.pk])
    assert admin_a.get(url).status_code == 200
    assert admin_b.get(url).status_code == 404
    gone = contact_create(organization=organization, email="gone@example.com")
    gone_url = reverse("admin:contacts_contact_history", args=[gone.pk])
    contact_delete(contact=gone)
    assert admin_a.get(gone_url).status_code == 200 and "Deleted" in admin_a.get(gone_url).content.decode()
    assert admin_b.get(gone_url).status_code == 404
