"""CSV import (dry-run preview, writes through conversion_create, dedup by order id) and export of conversions."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Contact
from conversions.models import Conversion, RollupMark
from conversions.services import campaign_create
from conversions.tests.admin_helpers import CHANGELIST, make_conversion

IMPORT = reverse("admin:conversions_conversion_import")
PROCESS_IMPORT = reverse("admin:conversions_conversion_process_import")

# --- CSV import -----------------------------------------------------------------------------------------------------

CSV_HEADER = "order_id,converted_at,email,type,revenue,currency,country,campaign_id\n"


def _upload(admin_client, organization, text):
    return admin_client.post(
        IMPORT,
        {
            "organization": str(organization.pk),
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("conversions.csv", text.encode(), content_type="text/csv"),
        },
    )


def _confirm(admin_client, preview):
    form = preview.context["confirm_form"]
    return admin_client.post(PROCESS_IMPORT, {name: form.initial[name] for name in form.initial})


@pytest.mark.django_db
def test_import_dry_run_shows_the_bad_row_and_writes_nothing(admin_a, organization):
    text = (
        CSV_HEADER
        + "IMP-1,2024-05-01T10:00:00+02:00,one@acme.test,purchase,10.00,EUR,CZ,\n"
        + "IMP-2,2024-05-01T11:00:00,two@acme.test,purchase,12.345,EUR,CZ,\n"
        + "IMP-3,not a date,three@acme.test,purchase,1.00,EUR,CZ,\n"
    )
    response = _upload(admin_a, organization, text)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Some rows failed to validate" in page
    assert "At most 2 decimal places." in page and "Enter an ISO 8601 date and time" in page
    assert "confirm_form" not in response.context  # no way to confirm an import with a bad row
    assert not Conversion.objects.exists()
    assert not Contact.objects.exists()  # not even the contacts the good row's e-mail would have created


@pytest.mark.django_db
def test_import_writes_through_the_service_and_deduplicates_by_order_id(admin_a, staff_a, organization):
    campaign = campaign_create(organization=organization, name="Imported credit")
    existing = make_conversion(
        organization,
        order_id="EXISTING",
        email="old@acme.test",
        type="purchase",
        revenue="1.00",
        currency="EUR",
        country="CZ",
        converted_at=datetime(2024, 4, 1, 8, 0, tzinfo=ZoneInfo("UTC")),
    )
    text = (
        CSV_HEADER
        + f"IMP-1,2024-05-01T10:00:00,one@acme.test,purchase,10.00,EUR,CZ,{campaign.pk}\n"
        + "IMP-1,2024-05-01T10:00:00,one@acme.test,purchase,10.00,EUR,CZ,\n"
        + "EXISTING,2024-04-01T08:00:00+00:00,old@acme.test,purchase,1.00,EUR,CZ,\n"
        + ",2024-05-02T09:00:00,,signup,0,,,\n"
    )
    preview = _upload(admin_a, organization, text)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "skip", "skip", "new"]
    assert Conversion.objects.count() == 1  # the preview wrote nothing

    response = _confirm(admin_a, preview)
    assert response.status_code == 302
    assert Conversion.objects.count() == 3
    imported = Conversion.objects.get(order_id="IMP-1")
    assert imported.converted_at == datetime(2024, 5, 1, 8, 0, tzinfo=ZoneInfo("UTC"))  # read in Europe/Prague
    assert imported.contact.email == "one@acme.test" and imported.reference_revenue == Decimal("10.00")
    assert list(imported.attributions.values_list("campaign_id", flat=True)) == [campaign.pk]
    assert imported.history.get().history_user == staff_a
    assert RollupMark.objects.filter(organization=organization, day=imported.converted_date).exists()
    existing.refresh_from_db()
    assert existing.revenue == Decimal("1.00")
    signup = Conversion.objects.get(type="signup")
    assert signup.order_id is None and signup.currency == "EUR"


@pytest.mark.django_db
def test_import_row_conflicting_with_a_stored_order_is_an_error(admin_a, conversion_a, organization):
    text = CSV_HEADER + "A-1,2024-05-01T10:00:00,buyer@acme.test,purchase,999.00,EUR,CZ,\n"
    response = _upload(admin_a, organization, text)
    assert "already exists with different values" in response.content.decode()
    conversion_a.refresh_from_db()
    assert conversion_a.revenue == Decimal("100.00")


@pytest.mark.django_db
def test_import_cannot_reference_another_organizations_rows(admin_a, organization, other_organization):
    theirs = campaign_create(organization=other_organization, name="Theirs")
    text = CSV_HEADER + f"X-1,2024-05-01T10:00:00,one@acme.test,purchase,10.00,EUR,CZ,{theirs.pk}\n"
    response = _upload(admin_a, organization, text)
    assert "Does not exist." in response.content.decode()
    assert not Conversion.objects.exists()


@pytest.mark.django_db
def test_import_into_another_organization_is_refused(admin_a, other_organization):
    text = CSV_HEADER + "X-1,2024-05-01T10:00:00,one@acme.test,purchase,10.00,EUR,CZ,\n"
    response = _upload(admin_a, other_organization, text)
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert "result" not in response.context
    assert not Conversion.objects.exists()


@pytest.mark.django_db
def test_exported_file_imports_back_as_all_duplicates(admin_a, conversion_a, organization):
    exported = admin_a.post(
        CHANGELIST, {"action": "export_selected_csv", "_selected_action": [str(conversion_a.pk)]}
    ).content.decode()
    preview = _upload(admin_a, organization, exported)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), preview.content.decode()[-3000:]
    assert [row.import_type for row in result.rows] == ["skip"]
