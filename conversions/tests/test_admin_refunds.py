"""The refund ledger in the admin: the "Refund…" action and form, the read-only inline and list, the CSV import."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conversions.models import Conversion, Refund
from conversions.services import conversion_update, refund_create
from conversions.tests.admin_helpers import CHANGELIST, change_url, form_data, make_conversion

ADD = reverse("admin:conversions_refund_add")
REFUNDS = reverse("admin:conversions_refund_changelist")
IMPORT = reverse("admin:conversions_refund_import")
PROCESS_IMPORT = reverse("admin:conversions_refund_process_import")
CONVERSION_IMPORT = reverse("admin:conversions_conversion_import")


def _add_form(conversion, **fields):
    return {
        "conversion": str(conversion.pk),
        "amount": "",
        "amount_without_tax": "",
        "reason": "returned",
        "note": "",
        "external_ref": "",
        "refunded_at_0": "",
        "refunded_at_1": "",
        "reverses": "",
        **fields,
    }


@pytest.mark.django_db
def test_the_refund_action_opens_the_form_for_one_conversion(admin_a, conversion_a, organization):
    response = admin_a.post(CHANGELIST, {"action": "refund_part", "_selected_action": [str(conversion_a.pk)]})
    assert response.status_code == 302 and response["Location"] == f"{ADD}?conversion={conversion_a.pk}"
    form = admin_a.get(response["Location"])
    assert form.status_code == 200
    assert str(form.context["adminform"].form.initial["conversion"]) == str(conversion_a.pk)
    other = make_conversion(organization, revenue="5.00")
    two = admin_a.post(
        CHANGELIST, {"action": "refund_part", "_selected_action": [str(conversion_a.pk), str(other.pk)]}, follow=True
    )
    assert "Choose exactly one conversion" in two.content.decode()


@pytest.mark.django_db
def test_the_refund_form_writes_through_the_service_and_records_who(admin_a, staff_a, conversion_a):
    response = admin_a.post(ADD, _add_form(conversion_a, amount="30.00", note="box damaged"))
    assert response.status_code == 302, response.content.decode()[-2000:]
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.note) == (Decimal("30.00"), "returned", "box damaged")
    assert refund.history.get().history_user == staff_a
    conversion_a.refresh_from_db()
    assert conversion_a.refunded_revenue == Decimal("30.00")
    assert conversion_a.history.latest().history_user == staff_a


@pytest.mark.django_db
def test_the_refund_form_shows_what_remains_and_stores_nothing_beyond_it(admin_a, conversion_a):
    response = admin_a.post(ADD, _add_form(conversion_a, amount="100.01"))
    assert response.status_code == 200
    assert "100.00 EUR" in str(response.context["adminform"].form.errors["amount"])
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_another_organizations_conversion_cannot_be_refunded(admin_a, conversion_b):
    response = admin_a.post(ADD, _add_form(conversion_b, amount="1.00"))
    assert response.status_code == 200 and "conversion" in response.context["adminform"].form.errors
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_refunds_list_inline_and_immutability(admin_a, admin_b, conversion_a, conversion_b):
    mine = refund_create(organization=conversion_a.organization, conversion=conversion_a, amount=Decimal("12.00"))[0]
    refund_create(organization=conversion_b.organization, conversion=conversion_b, amount=Decimal("1.00"))
    listing = admin_a.get(REFUNDS)
    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list] == [mine.pk]
    assert admin_a.get(REFUNDS, {"reason__exact": "fraud"}).context["cl"].result_list.count() == 0
    page = admin_a.get(change_url(conversion_a))
    inline = next(formset for formset in page.context["inline_admin_formsets"] if formset.formset.prefix == "refunds")
    assert [form.instance.pk for form in inline.formset.forms] == [mine.pk]
    assert "12.00" in page.content.decode()
    detail = admin_a.get(change_url(mine))
    assert detail.status_code == 200  # viewable, not editable
    assert admin_a.post(change_url(mine), {"amount": "1.00"}).status_code == 403
    assert admin_a.post(reverse("admin:conversions_refund_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    assert admin_b.get(change_url(mine)).status_code in (302, 404)
    assert Refund.objects.get(pk=mine.pk).amount == Decimal("12.00")


@pytest.mark.django_db
def test_mark_refunded_action_writes_the_ledger(admin_a, conversion_a):
    response = admin_a.post(CHANGELIST, {"action": "refund", "_selected_action": [str(conversion_a.pk)]})
    assert response.status_code == 302
    conversion_a.refresh_from_db()
    refund = conversion_a.refunds.get()
    assert (refund.amount, refund.reason) == (Decimal("100.00"), "other")
    assert conversion_a.status == "refunded" and conversion_a.net_revenue == 0


# --- CSV import of refunds ------------------------------------------------------------------------------------------


def _upload(admin_client, organization, url, text):
    return admin_client.post(
        url,
        {
            "organization": str(organization.pk),
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("refunds.csv", text.encode(), content_type="text/csv"),
        },
    )


def _confirm(admin_client, preview):
    form = preview.context["confirm_form"]
    return admin_client.post(PROCESS_IMPORT, {name: form.initial[name] for name in form.initial})


@pytest.mark.django_db
def test_refund_import_previews_then_writes_through_the_service(admin_a, staff_a, conversion_a, organization):
    other = make_conversion(organization, order_id="B-2", revenue="50.00")
    text = (
        "order_id,conversion_id,amount,reason,external_ref\n"
        "A-1,,10.00,returned,SHOP-1\n"
        f",{other.pk},50.00,cancelled,SHOP-2\n"
        "A-1,,10.00,returned,SHOP-1\n"
    )
    preview = _upload(admin_a, organization, IMPORT, text)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), preview.content.decode()[-3000:]
    assert [row.import_type for row in result.rows] == ["new", "new", "skip"]
    assert not Refund.objects.exists()  # the dry run wrote nothing

    assert _confirm(admin_a, preview).status_code == 302
    assert Refund.objects.count() == 2
    conversion_a.refresh_from_db()
    other.refresh_from_db()
    assert conversion_a.refunded_revenue == Decimal("10.00")
    assert other.status == "refunded" and other.net_revenue == 0
    assert Refund.objects.get(external_ref="SHOP-1").history.get().history_user == staff_a


@pytest.mark.django_db
def test_refund_import_shows_each_bad_row_and_writes_nothing(admin_a, conversion_a, organization):
    text = (
        "order_id,conversion_id,amount,reason,external_ref\n"
        "A-1,,100.01,returned,\n"
        "NOPE,,1.00,returned,\n"
        "A-1,,1.00,lost,\n"
        ",,1.00,returned,\n"
        "A-1,,1.00,returned,\n"
    )
    response = _upload(admin_a, organization, IMPORT, text)
    page = response.content.decode()
    assert "Some rows failed to validate" in page
    assert "100.00 EUR" in page and "No conversion has this order_id." in page
    assert "confirm_form" not in response.context
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_status_refunded_through_the_conversion_csv_writes_the_ledger(admin_a, organization):
    text = "order_id,converted_at,revenue,currency,status\nCSV-R,2024-05-01T10:00:00,20.00,EUR,refunded\n"
    preview = _upload(admin_a, organization, CONVERSION_IMPORT, text)
    form = preview.context["confirm_form"]
    admin_a.post(
        reverse("admin:conversions_conversion_process_import"), {name: form.initial[name] for name in form.initial}
    )
    conversion = Conversion.objects.get(order_id="CSV-R")
    assert conversion.refunds.get().amount == Decimal("20.00") and conversion.net_revenue == 0


@pytest.mark.django_db
def test_a_history_revert_cannot_take_back_a_refund(admin_a, conversion_a, organization):
    original = conversion_a.history.earliest()
    conversion_update(conversion=conversion_a, status="refunded")
    revert_url = reverse("admin:conversions_conversion_simple_history", args=[conversion_a.pk, original.history_id])
    at = timezone.localtime(original.converted_at, organization.zone)
    data = form_data(
        converted_at_0=f"{at:%Y-%m-%d}",
        converted_at_1=f"{at:%H:%M:%S.%f}",
        contact=str(original.contact_id),
        type=original.type,
        status=original.status,
        order_id=original.order_id,
        revenue=str(original.revenue),
        revenue_without_tax=str(original.revenue_without_tax),
        currency=original.currency,
    )
    response = admin_a.post(revert_url, data)
    assert response.status_code == 200  # the form again, with the service's message
    assert "reverse a refund" in str(response.context["adminform"].form.errors["status"])
    conversion_a.refresh_from_db()
    assert conversion_a.status == "refunded" and conversion_a.refunds.count() == 1
