"""The conversion admin: scoping, list, add/change/delete through the services, history and revert, actions.

CSV import/export: ``test_admin_csv.py``; campaigns, deliveries, touchpoints, rates: ``test_admin_related.py``."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import membership_add
from contacts.services import contact_create
from conversions.models import Conversion, ExchangeRate, RollupMark, Touchpoint
from conversions.services import (
    campaign_create,
    conversion_update,
    delivery_create,
)
from conversions.tests.admin_helpers import ADD, CHANGELIST, change_url, form_data, make_conversion
from core.admin.filters import CappedCountPaginator, RecentValuesFilter
from core.tests.admin_helpers import changelist_query_counts

# --- Scoping --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_staff_member_lists_only_their_organizations_conversions(admin_a, admin_b, conversion_a, conversion_b):
    page_a = admin_a.get(CHANGELIST).content.decode()
    page_b = admin_b.get(CHANGELIST).content.decode()
    assert "A-1" in page_a and "B-1" not in page_a
    assert "B-1" in page_b and "A-1" not in page_b


@pytest.mark.django_db
def test_a_superuser_lists_every_organization(admin_root, conversion_a, conversion_b):
    page = admin_root.get(CHANGELIST).content.decode()
    assert "A-1" in page and "B-1" in page


@pytest.mark.django_db
def test_other_organizations_conversion_does_not_exist_for_a_staff_member(admin_b, conversion_a):
    assert admin_b.get(change_url(conversion_a)).status_code == 302
    delete_url = reverse("admin:conversions_conversion_delete", args=[conversion_a.pk])
    assert admin_b.post(delete_url, {"post": "yes"}).status_code == 302
    assert Conversion.objects.filter(pk=conversion_a.pk).exists()
    history_url = reverse("admin:conversions_conversion_history", args=[conversion_a.pk])
    assert admin_b.get(history_url).status_code == 404
    version = conversion_a.history.first()
    revert_url = reverse("admin:conversions_conversion_simple_history", args=[conversion_a.pk, version.history_id])
    assert admin_b.get(revert_url).status_code == 404
    assert admin_b.post(revert_url, form_data()).status_code == 404


@pytest.mark.django_db
def test_actions_ignore_ids_of_another_organization(admin_b, conversion_a):
    response = admin_b.post(CHANGELIST, {"action": "reject", "_selected_action": [str(conversion_a.pk)]})
    assert response.status_code == 302
    conversion_a.refresh_from_db()
    assert conversion_a.status == "approved"


@pytest.mark.django_db
def test_autocomplete_offers_only_own_contacts(admin_a, admin_b, conversion_a, conversion_b):
    params = {"app_label": "conversions", "model_name": "conversion", "field_name": "contact", "term": "buyer"}
    results_a = admin_a.get("/admin/autocomplete/", params).json()["results"]
    results_b = admin_b.get("/admin/autocomplete/", params).json()["results"]
    assert [item["text"] for item in results_a] == ["buyer@acme.test"]
    assert [item["text"] for item in results_b] == ["buyer@globex.test"]


@pytest.mark.django_db
def test_campaign_filter_offers_only_own_campaigns_and_filters_by_credit(admin_a, organization, other_organization):
    mine = campaign_create(organization=organization, name="Spring sale")
    campaign_create(organization=other_organization, name="Their launch")
    credited = make_conversion(organization, order_id="CREDITED", campaign=mine)
    make_conversion(organization, order_id="UNCREDITED")
    page = admin_a.get(CHANGELIST).content.decode()
    assert "Spring sale" in page and "Their launch" not in page
    filtered = admin_a.get(CHANGELIST, {"campaign": str(mine.pk)}).content.decode()
    assert credited.order_id in filtered and "UNCREDITED" not in filtered


@pytest.mark.django_db
def test_filtering_by_another_organizations_campaign_shows_nothing(admin_a, conversion_a, other_organization):
    theirs = campaign_create(organization=other_organization, name="Their launch")
    make_conversion(other_organization, order_id="B-CREDITED", campaign=theirs)
    page = admin_a.get(CHANGELIST, {"campaign": str(theirs.pk)}).content.decode()
    assert "B-CREDITED" not in page and "A-1" not in page


# --- List -----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_columns_show_local_time_amounts_reference_and_credit(admin_a, organization):
    campaign = campaign_create(organization=organization, name="Newsletter 12")
    ExchangeRate.objects.create(date=datetime(2024, 1, 1).date(), currency="CZK", rate=Decimal("25"))
    make_conversion(
        organization,
        order_id="ORDER-77",
        revenue="250.00",
        currency="CZK",
        campaign=campaign,
        converted_at=datetime(2024, 5, 1, 8, 30, tzinfo=ZoneInfo("UTC")),
    )
    page = admin_a.get(CHANGELIST).content.decode()
    assert "2024-05-01 10:30 CEST" in page  # Europe/Prague in summer
    assert "250.00 CZK" in page and "10.00 EUR" in page
    assert "Newsletter 12 (100%)" in page and "ORDER-77" in page


@pytest.mark.django_db
def test_search_matches_order_id_email_and_coupon(admin_a, organization):
    make_conversion(organization, order_id="FIND-ME", coupon_code="SUMMER", email="someone@acme.test")
    make_conversion(organization, order_id="OTHER")
    for term in ("FIND-ME", "someone@acme", "SUMMER"):
        page = admin_a.get(CHANGELIST, {"q": term}).content.decode()
        assert "FIND-ME" in page and "OTHER" not in page, term


@pytest.mark.django_db
def test_changelist_queries_do_not_grow_with_rows(admin_a, organization, monkeypatch, django_assert_max_num_queries):
    campaign = campaign_create(organization=organization, name="C")
    for index in range(30):
        make_conversion(organization, order_id=f"N-{index}", campaign=campaign, email=f"p{index}@acme.test")
    with django_assert_max_num_queries(25):
        response = admin_a.get(CHANGELIST)
    assert response.status_code == 200
    page_of_one, page_of_thirty = changelist_query_counts(admin_a, Conversion, monkeypatch)
    assert page_of_one == page_of_thirty


@pytest.mark.django_db
def test_capped_total_is_shown_as_more_than(admin_a, organization, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 2)
    for index in range(3):
        make_conversion(organization, order_id=f"CAP-{index}")
    assert "More than 2 conversions" in admin_a.get(CHANGELIST).content.decode()


# --- Add, change, delete through the services -----------------------------------------------------------------------


@pytest.mark.django_db
def test_add_goes_through_the_service(admin_a, staff_a, organization):
    campaign = campaign_create(organization=organization, name="Launch")
    contact = contact_create(organization=organization, email="jane@acme.test", country="CZ")
    response = admin_a.post(
        ADD,
        form_data(contact=str(contact.pk), campaign=str(campaign.pk), order_id=" NEW-1 ", revenue="121.00"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    conversion = Conversion.objects.get(order_id="NEW-1")
    assert conversion.organization == organization
    assert conversion.currency == "EUR" and conversion.revenue_without_tax == Decimal("121.00")
    assert conversion.country == "CZ"  # the contact's country: a service default
    assert conversion.attribution_window == organization.default_attribution_window
    assert list(conversion.attributions.values_list("campaign_id", "weight")) == [(campaign.pk, Decimal(1))]
    assert RollupMark.objects.filter(organization=organization, day=conversion.converted_date).exists()
    assert conversion.history.get().history_user == staff_a


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"revenue_without_tax": "121.01", "revenue": "121.00"}, "Must not be greater than revenue."),
        ({"attribution_window": "91"}, "Must be between 1 and 90 days."),
        ({"count": "0"}, "Must be between 1 and 1,000,000."),
        ({"currency": "XYZ"}, "is not an ISO 4217 currency code"),
        ({"metadata": '{"k": {"nested": 1}}'}, "must be a string, number, boolean or null"),
    ],
)
def test_service_validation_errors_are_shown_on_the_form(admin_a, organization, overrides, error):
    response = admin_a.post(ADD, form_data(**overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Conversion.objects.exists()


@pytest.mark.django_db
def test_limits_just_inside_are_accepted(admin_a, organization):
    response = admin_a.post(ADD, form_data(revenue_without_tax="121.00", revenue="121.00", attribution_window="90"))
    assert response.status_code == 302
    assert Conversion.objects.get().attribution_window == 90


@pytest.mark.django_db
@pytest.mark.parametrize(("minutes_ahead", "accepted"), [(4, True), (6, False)])
def test_a_time_more_than_five_minutes_ahead_is_refused(admin_a, organization, minutes_ahead, accepted):
    future = timezone.localtime(timezone.now() + timedelta(minutes=minutes_ahead), organization.zone)
    response = admin_a.post(ADD, form_data(converted_at_0=f"{future:%Y-%m-%d}", converted_at_1=f"{future:%H:%M:%S}"))
    assert response.status_code == (302 if accepted else 200)
    assert ("Must not be more than 5 minutes in the future." in response.content.decode()) is not accepted
    assert Conversion.objects.exists() is accepted


@pytest.mark.django_db
def test_form_times_are_read_in_the_organizations_zone(admin_a, organization):
    assert admin_a.post(ADD, form_data(converted_at_0="2024-01-15", converted_at_1="00:30:00")).status_code == 302
    conversion = Conversion.objects.get()
    assert conversion.converted_at == datetime(2024, 1, 14, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert str(conversion.converted_date) == "2024-01-15"


@pytest.mark.django_db
def test_a_duplicate_order_id_is_a_form_error(admin_a, conversion_a):
    response = admin_a.post(ADD, form_data(order_id="A-1"))
    assert response.status_code == 200
    assert "A conversion with order_id &#x27;A-1&#x27; already exists" in response.content.decode()
    assert Conversion.objects.count() == 1


@pytest.mark.django_db
def test_a_contact_of_another_organization_cannot_be_chosen(admin_a, organization, conversion_b):
    response = admin_a.post(ADD, form_data(contact=str(conversion_b.contact_id)))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Conversion.objects.filter(organization=organization).exists()


@pytest.mark.django_db
def test_a_member_of_two_organizations_chooses_among_theirs(staff_a, admin_a, organization, other_organization):
    membership_add(user=staff_a, organization=other_organization)
    page = admin_a.get(ADD).content.decode()
    assert 'name="organization"' in page
    contact_b = contact_create(organization=other_organization, email="b@globex.test")
    mixed = admin_a.post(ADD, form_data(organization=str(organization.pk), contact=str(contact_b.pk)))
    assert mixed.status_code == 200
    assert "Does not exist." in mixed.content.decode()
    chosen = admin_a.post(ADD, form_data(organization=str(other_organization.pk), contact=str(contact_b.pk)))
    assert chosen.status_code == 302
    assert Conversion.objects.get().organization == other_organization


@pytest.mark.django_db
def test_an_organization_the_user_is_not_a_member_of_cannot_be_chosen(
    staff_a, admin_a, organization, other_organization, superuser
):
    third = organization.__class__.objects.create(slug="third", name="Third")
    membership_add(user=staff_a, organization=other_organization)
    response = admin_a.post(ADD, form_data(organization=str(third.pk)))
    assert response.status_code == 200
    assert not Conversion.objects.exists()


@pytest.mark.django_db
def test_change_goes_through_the_service(admin_a, conversion_a):
    data = form_data(
        converted_at_0=f"{timezone.localtime(conversion_a.converted_at, conversion_a.organization.zone):%Y-%m-%d}",
        converted_at_1=f"{timezone.localtime(conversion_a.converted_at, conversion_a.organization.zone):%H:%M:%S}",
        contact=str(conversion_a.contact_id),
        type=conversion_a.type,
        order_id="A-1",
        revenue="150.00",
        revenue_without_tax="100.00",
        currency="EUR",
        attribution_model="last_touch",
        attribution_window="7",
    )
    response = admin_a.post(change_url(conversion_a), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    conversion_a.refresh_from_db()
    assert conversion_a.revenue == Decimal("150.00")
    # Only the revenue changed in the form, so the service's rule applies: a revenue_without_tax that equalled
    # the old revenue follows the new one.
    assert conversion_a.revenue_without_tax == Decimal("150.00")
    assert conversion_a.reference_revenue == Decimal("150.00")


@pytest.mark.django_db
def test_delete_goes_through_the_service_and_stays_in_the_history(admin_a, conversion_a, organization):
    RollupMark.objects.all().delete()
    delete_url = reverse("admin:conversions_conversion_delete", args=[conversion_a.pk])
    assert admin_a.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Conversion.objects.filter(pk=conversion_a.pk).exists()
    assert RollupMark.objects.filter(organization=organization).exists()
    log = admin_a.get(reverse("admin:conversions_historicalconversion_changelist")).content.decode()
    assert "Deleted" in log and "A-1" in log
    history = admin_a.get(reverse("admin:conversions_conversion_history", args=[conversion_a.pk]))
    assert history.status_code == 200 and "Deleted" in history.content.decode()


@pytest.mark.django_db
def test_history_log_is_scoped_and_read_only(admin_b, conversion_a):
    log = admin_b.get(reverse("admin:conversions_historicalconversion_changelist")).content.decode()
    assert "A-1" not in log
    version = conversion_a.history.first()
    change = reverse("admin:conversions_historicalconversion_change", args=[version.pk])
    assert admin_b.get(change).status_code == 302


# --- History and revert ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_shows_who_when_and_old_to_new(admin_a, conversion_a, api):
    conversion_update(conversion=conversion_a, revenue="120.00")  # no request: a system change
    response = api.patch(f"/api/v1/conversions/{conversion_a.pk}/", {"status": "pending"}, format="json")
    assert response.status_code == 200, response.content
    page = admin_a.get(reverse("admin:conversions_conversion_history", args=[conversion_a.pk])).content.decode()
    assert "API key test (cm_" in page
    assert "approved" in page and "pending" in page
    assert "100.00" in page and "120.00" in page
    assert "updated_at" not in page  # noise left out of the diff


@pytest.mark.django_db
def test_revert_goes_through_the_service(admin_a, staff_a, conversion_a, organization):
    original = conversion_a.history.earliest()
    campaign = campaign_create(organization=organization, name="Later credit")
    # (not "refunded": that writes a refund into the ledger, which a revert cannot take back; see test_admin_refunds)
    conversion_update(conversion=conversion_a, revenue="300.00", campaign=campaign, status="pending")
    revert_url = reverse("admin:conversions_conversion_simple_history", args=[conversion_a.pk, original.history_id])
    form_page = admin_a.get(revert_url)
    assert form_page.status_code == 200 and "Revert" in form_page.content.decode()
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
        attribution_model=original.attribution_model,
        attribution_window=str(original.attribution_window),
    )
    response = admin_a.post(revert_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    conversion_a.refresh_from_db()
    assert conversion_a.revenue == Decimal("100.00") and conversion_a.status == "approved"
    assert conversion_a.converted_at == original.converted_at  # the form is read in the organization's zone
    assert conversion_a.campaign is None
    assert not conversion_a.attributions.exists()  # re-attributed by the service
    latest = conversion_a.history.latest()
    assert latest.history_user == staff_a and latest.revenue == Decimal("100.00")


@pytest.mark.django_db
def test_revert_to_an_invalid_version_is_a_form_error(admin_a, conversion_a, organization):
    version = conversion_a.history.earliest()
    make_conversion(organization, order_id="TAKEN")
    revert_url = reverse("admin:conversions_conversion_simple_history", args=[conversion_a.pk, version.history_id])
    response = admin_a.post(revert_url, form_data(order_id="TAKEN", contact=str(conversion_a.contact_id)))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


@pytest.mark.django_db
def test_deleting_a_contact_keeps_its_conversions(admin_a, organization):
    contact = contact_create(organization=organization, email="leaving@example.com")
    conversion = make_conversion(organization, contact=contact, revenue="10.00",
                                 converted_at=timezone.now() - timedelta(hours=1))  # fmt: skip
    delete_url = reverse("admin:contacts_contact_delete", args=[contact.pk])
    assert admin_a.post(delete_url, {"post": "yes"}).status_code == 302
    conversion.refresh_from_db()
    assert conversion.contact is None
    assert Conversion.objects.count() == 1


# --- Actions --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status"), [("approve", "approved"), ("reject", "rejected"), ("refund", "refunded")]
)
def test_status_actions_go_through_the_service(admin_a, staff_a, organization, action, status):
    first = make_conversion(organization, order_id="S-1", status="pending")
    second = make_conversion(organization, order_id="S-2", status="pending")
    RollupMark.objects.all().delete()
    response = admin_a.post(CHANGELIST, {"action": action, "_selected_action": [str(first.pk), str(second.pk)]})
    assert response.status_code == 302
    assert set(Conversion.objects.values_list("status", flat=True)) == {status}
    assert RollupMark.objects.filter(organization=organization).exists()
    assert first.history.latest().history_user == staff_a


@pytest.mark.django_db
def test_reattribute_action_recomputes_credit(admin_a, organization):
    conversion = make_conversion(organization, order_id="R-1", email="late@acme.test")
    delivery = delivery_create(organization=organization, name="Welcome flow")
    # A touchpoint stored without the service (as if a late import skipped the background task).
    Touchpoint.objects.create(
        organization=organization,
        contact=conversion.contact,
        delivery=delivery,
        kind="click",
        occurred_at=conversion.converted_at - timedelta(hours=1),
    )
    assert not conversion.attributions.exists()
    response = admin_a.post(CHANGELIST, {"action": "reattribute", "_selected_action": [str(conversion.pk)]})
    assert response.status_code == 302
    assert list(conversion.attributions.values_list("delivery_id", flat=True)) == [delivery.pk]


@pytest.mark.django_db
def test_export_selected_as_csv(admin_a, conversion_a, organization):
    other = make_conversion(organization, order_id="A-2", revenue="5.00")
    response = admin_a.post(CHANGELIST, {"action": "export_selected_csv", "_selected_action": [str(conversion_a.pk)]})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["order_id"] for row in rows] == ["A-1"]
    assert rows[0]["email"] == "buyer@acme.test" and rows[0]["revenue"] == "100.00"
    assert rows[0]["reference_revenue"] == "100.00" and other.order_id not in response.content.decode()


@pytest.mark.django_db
def test_export_follows_the_current_filters_and_scope(admin_a, organization, conversion_b):
    make_conversion(organization, order_id="KEEP", status="pending")
    make_conversion(organization, order_id="DROP", status="approved")
    export_url = reverse("admin:conversions_conversion_export") + "?status__exact=pending"
    response = admin_a.post(export_url, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "KEEP" in content and "DROP" not in content and "B-1" not in content


@pytest.mark.django_db
def test_currency_filter_suggests_recent_own_values_and_filters_by_any(
    admin_a, organization, conversion_b, monkeypatch
):
    make_conversion(organization, order_id="OLD-CZK", currency="CZK", converted_at=timezone.now() - timedelta(days=9))
    make_conversion(organization, order_id="NEW-EUR", currency="EUR", converted_at=timezone.now() - timedelta(days=1))
    page = admin_a.get(CHANGELIST).content.decode()
    assert "?currency=CZK" in page and "?currency=EUR" in page and "?currency=USD" not in page  # B's is USD
    monkeypatch.setattr(RecentValuesFilter, "sample_rows", 1)
    page = admin_a.get(CHANGELIST).content.decode()
    assert "?currency=CZK" not in page and "?currency=EUR" in page
    filtered = admin_a.get(CHANGELIST, {"currency": "CZK"}).content.decode()
    assert "OLD-CZK" in filtered and "NEW-EUR" not in filtered


@pytest.mark.django_db
def test_date_hierarchy_offers_periods_between_first_and_last_without_scanning(admin_a, organization):
    make_conversion(organization, order_id="Y1", converted_at=datetime(2023, 11, 5, 12, tzinfo=ZoneInfo("UTC")))
    make_conversion(organization, order_id="Y2", converted_at=datetime(2024, 2, 10, 12, tzinfo=ZoneInfo("UTC")))
    with CaptureQueriesContext(connection) as queries:
        page = admin_a.get(CHANGELIST).content.decode()
    assert "converted_at__year=2023" in page and "converted_at__year=2024" in page
    truncating = [query["sql"] for query in queries.captured_queries if "trunc" in query["sql"].lower()]
    assert truncating == []  # no SELECT DISTINCT <truncated date> over the whole list
    year = admin_a.get(CHANGELIST, {"converted_at__year": "2024"}).content.decode()
    assert "converted_at__month=2" in year and "converted_at__month=1" not in year
    month = admin_a.get(CHANGELIST, {"converted_at__year": "2024", "converted_at__month": "2"}).content.decode()
    assert "converted_at__day=10" in month and "Y2" in month and "Y1" not in month
