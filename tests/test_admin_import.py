"""CSV import in the admin: the organization preselected when there is one to choose, only the written columns
listed, every row previewed (valid ones beside failing ones, each error on its row), nothing written until
confirmed, and a confirmed import that writes the whole file or nothing."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services import organization_create
from accounts.tests.fixtures import *  # noqa: F403 - pytest fixtures
from contacts.models import Contact
from contacts.services import contact_create
from conversions.models import Conversion
from conversions.services import conversion_create

IMPORT = reverse("admin:conversions_conversion_import")
PROCESS_IMPORT = reverse("admin:conversions_conversion_process_import")
CONTACT_IMPORT = reverse("admin:contacts_contact_import")
CONTACT_PROCESS_IMPORT = reverse("admin:contacts_contact_process_import")

HEADER = "order_id,converted_at,email,type,revenue,currency,country,id,created_at\n"
MIXED = (
    HEADER
    + "IMP-1,2024-05-01T10:00:00+02:00,one@acme.test,purchase,10.00,EUR,CZ,,\n"
    + "IMP-2,2024-05-01T11:00:00+02:00,two@acme.test,purchase,10.00,QQQ,CZ,,\n"
    + "IMP-3,not a date,three@acme.test,purchase,1.00,EUR,CZ,,\n"
    + "IMP-4,2024-05-02T09:00:00,four@acme.test,signup,0,,,,\n"
)


def _upload(client, organization, text, url=IMPORT, name="conversions.csv"):
    data = {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(name, text.encode(), "text/csv")}
    if organization is not None:
        data["organization"] = str(organization.pk)
    return client.post(url, data)


def _confirm(client, preview, url=PROCESS_IMPORT):
    form = preview.context["confirm_form"]
    return client.post(url, {name: form.initial[name] for name in form.initial})


def _organization_select(page: str) -> str:
    return re.search(r'<select name="organization".*?</select>', page, re.S).group(0)


# --- The import form ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_superuser_with_one_organization_finds_it_chosen(admin_root, organization):
    select = _organization_select(admin_root.get(IMPORT).content.decode())
    assert re.search(rf'<option value="{organization.pk}"[^>]*selected', select)
    assert "---------" not in select


@pytest.mark.django_db
def test_with_several_organizations_the_user_chooses(admin_root, organization, other_organization):
    select = _organization_select(admin_root.get(IMPORT).content.decode())
    assert "selected" not in select.split("</option>", 1)[1]  # nothing but the empty choice is selected
    assert str(organization.pk) in select and str(other_organization.pk) in select


@pytest.mark.django_db
def test_a_member_of_one_organization_is_not_asked(admin_a, organization):
    page = admin_a.get(IMPORT).content.decode()
    assert f'type="hidden" name="organization" value="{organization.pk}"' in page


@pytest.mark.django_db
def test_a_member_of_two_chooses_among_theirs_only(staff_a, organization, other_organization):
    Membership.objects.create(user=staff_a, organization=other_organization)
    stranger = organization_create(slug="initech", name="Initech", reference_currency="EUR", timezone_name="UTC")
    client = Client()
    client.force_login(staff_a)
    select = _organization_select(client.get(IMPORT).content.decode())
    assert str(organization.pk) in select and str(other_organization.pk) in select
    assert str(stranger.pk) not in select


@pytest.mark.django_db
@pytest.mark.parametrize("url", [IMPORT, CONTACT_IMPORT])
def test_only_the_written_columns_are_listed(admin_a, url):
    response = admin_a.get(url)
    ((_, columns),) = response.context["fields_list"]
    assert "id" not in columns and "created_at" not in columns
    assert not any(column.startswith("reference_") for column in columns)
    assert "email" in columns


# --- The preview ----------------------------------------------------------------------------------------------------


def _rows(page: str) -> dict[int, str]:
    return {int(number): body for number, body in re.findall(r'data-row="(\d+)">(.*?)</tbody>', page, re.S)}


@pytest.mark.django_db
def test_valid_rows_are_previewed_beside_the_failing_ones_each_error_on_its_row(admin_a, organization):
    response = _upload(admin_a, organization, MIXED)
    assert response.status_code == 200
    preview = response.context["import_preview"]
    assert [row.label for row in preview.rows] == ["New", "Error", "Error", "New"]
    assert preview.failed == 2 and preview.columns[:3] == ["order_id", "converted_at", "email"]
    assert preview.ignored_columns == ["id", "created_at"]
    rows = _rows(response.content.decode())
    assert sorted(rows) == [1, 2, 3, 4]
    assert "IMP-1" in rows[1] and "one@acme.test" in rows[1] and "preview-error" not in rows[1]
    assert "IMP-4" in rows[4] and "preview-error" not in rows[4]
    assert "QQQ" in rows[2] and "currency:</strong> &#x27;QQQ&#x27; is not an ISO 4217 currency code." in rows[2]
    assert "Enter an ISO 8601 date and time" in rows[3] and "Enter an ISO 8601" not in rows[2]
    page = response.content.decode()
    assert "Some rows failed to validate" in page and "Nothing has been imported" in page
    assert "2 of 4 rows have errors" in page


@pytest.mark.django_db
def test_an_import_with_a_failing_row_writes_nothing_and_cannot_be_confirmed(admin_a, organization):
    response = _upload(admin_a, organization, MIXED)
    assert "confirm_form" not in response.context
    assert "Confirm import" not in response.content.decode()
    assert not Conversion.objects.exists()
    assert not Contact.objects.exists()  # not even the contacts the valid rows' e-mails would have created


@pytest.mark.django_db
def test_nothing_is_written_until_confirmed(admin_a, staff_a, organization):
    text = HEADER + "OK-1,2024-05-01T10:00:00+02:00,one@acme.test,purchase,10.00,EUR,CZ,,\n"
    preview = _upload(admin_a, organization, text)
    assert [row.label for row in preview.context["import_preview"].rows] == ["New"]
    assert "Confirm import" in preview.content.decode()
    assert not Conversion.objects.exists() and not Contact.objects.exists()
    assert _confirm(admin_a, preview).status_code == 302
    conversion = Conversion.objects.get(order_id="OK-1")
    assert conversion.organization == organization and conversion.history.get().history_user == staff_a


@pytest.mark.django_db
def test_a_row_failing_by_the_time_of_confirming_makes_the_import_write_nothing(admin_a, organization):
    text = (
        HEADER
        + "LATE-1,2024-05-01T10:00:00+02:00,one@acme.test,purchase,10.00,EUR,CZ,,\n"
        + "LATE-2,2024-05-01T11:00:00+02:00,two@acme.test,purchase,20.00,EUR,CZ,,\n"
    )
    preview = _upload(admin_a, organization, text)
    assert "confirm_form" in preview.context
    # Meanwhile the API stores LATE-2 with other values: the confirmed row now conflicts with it.
    conversion_create(
        organization=organization, order_id="LATE-2", revenue="99.00", email="api@acme.test",
        converted_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    response = _confirm(admin_a, preview)
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert list(Conversion.objects.values_list("order_id", flat=True)) == ["LATE-2"]  # LATE-1 was not written
    assert "Nothing was imported" in str(list(get_messages(response.wsgi_request))[0])


@pytest.mark.django_db
def test_a_contact_update_is_previewed_as_a_diff(admin_a, organization):
    contact_create(organization=organization, email="known@example.com", first_name="Old")
    text = "email,first_name,country\nknown@example.com,New,CZ\nfresh@example.com,Fresh,XX\n"
    response = _upload(admin_a, organization, text, url=CONTACT_IMPORT, name="contacts.csv")
    preview = response.context["import_preview"]
    assert [row.label for row in preview.rows] == ["Update", "Error"]
    rows = _rows(response.content.decode())
    assert "<del" in rows[1] and "Old" in rows[1] and "New" in rows[1]
    assert "country:</strong> &#x27;XX&#x27; is not an ISO 3166-1 alpha-2 country code." in rows[2]
    assert Contact.objects.get().first_name == "Old"


@pytest.mark.django_db
def test_a_long_value_is_cut_in_the_preview_with_the_whole_value_on_hover(admin_a, organization):
    long_order = "L" * 101
    text = HEADER + f"{long_order},2024-05-01T10:00:00+02:00,one@acme.test,purchase,10.00,EUR,CZ,,\n"
    page = _upload(admin_a, organization, text).content.decode()
    assert f'class="max-w-40 truncate" title="{long_order}"' in page


@pytest.mark.django_db
def test_an_import_into_another_organization_is_still_refused(admin_a, other_organization):
    response = _upload(admin_a, other_organization, MIXED)
    assert "organization" in response.context["form"].errors
    assert "import_preview" not in response.context
    assert not Conversion.objects.exists()
