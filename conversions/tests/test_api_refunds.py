"""/api/v1/conversions/{id}/refunds/ and /api/v1/refunds/: the ledger over HTTP, its limits, replays and 405s."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversions.models import Conversion, Refund
from conversions.services import refund_create
from conversions.tests.factories import CampaignFactory, ConversionFactory, DeliveryFactory
from core.tests.api_contract import NIL_UUID, ResourceContract, assert_400_on, assert_envelope

D = Decimal


def _refund(conversion, **fields) -> Refund:
    return refund_create(organization=conversion.organization, conversion=conversion, **fields)[0]


class TestRefundsAPI(ResourceContract):
    """The organization-wide ledger: read-only (refunds are recorded on their conversion's path)."""

    path = "/api/v1/refunds/"
    model = Refund
    ordering = "refunded_at"
    facet = "reason"
    writable = False

    def make(self, organization):
        conversion = ConversionFactory(organization=organization, revenue="100.00")
        return _refund(conversion, amount="10.00", reason="returned")

    def create_body(self, organization) -> dict:
        return {"amount": "1.00"}


def _url(conversion) -> str:
    return f"/api/v1/conversions/{conversion.pk}/refunds/"


@pytest.fixture
def conversion(organization):
    return ConversionFactory(organization=organization, revenue="100.00", revenue_without_tax="80.00")


@pytest.mark.django_db
class TestRecordingRefunds:
    def test_201_with_the_refund_and_the_conversion_shows_the_derived_fields(self, api, conversion):
        response = api.post(_url(conversion), {"amount": 30, "reason": "returned", "note": "1 of 3"}, format="json")

        assert response.status_code == 201, response.json()
        data = response.json()["data"]
        assert data["amount"] == 30.0 and data["amount_without_tax"] == 24.0
        assert data["currency"] == "EUR" and data["reason"] == "returned" and data["note"] == "1 of 3"
        assert data["conversion_id"] == str(conversion.pk) and data["reverses_id"] is None
        assert data["reversed_by_id"] is None and data["external_ref"] is None
        stored = api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]
        assert stored["refunded_revenue"] == 30.0 and stored["refunded_revenue_without_tax"] == 24.0
        assert stored["net_revenue"] == 70.0 and stored["net_revenue_without_tax"] == 56.0
        assert stored["reference_net_revenue"] == 70.0 and stored["reference_net_revenue_without_tax"] == 56.0
        assert stored["status"] == "approved"

    def test_the_conversions_list_shows_its_refunds(self, api, conversion):
        response = api.post(_url(conversion), {"amount": "100.00"}, format="json")
        assert response.status_code == 201
        listing = api.get(_url(conversion)).json()
        assert [row["id"] for row in listing["data"]] == [response.json()["data"]["id"]]
        assert listing["pagination"]["total"] == 1
        stored = api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]
        assert stored["status"] == "refunded" and stored["net_revenue"] == 0 and stored["reference_net_revenue"] == 0

    @pytest.mark.parametrize(("amount", "status"), [("100.00", 201), ("100.01", 400), ("0.01", 201), ("0", 400)])
    def test_amount_at_its_edges(self, api, conversion, amount, status):
        response = api.post(_url(conversion), {"amount": amount}, format="json")
        assert response.status_code == status, response.json()
        if status == 400:
            assert_400_on(response, "amount")
            assert not Refund.objects.exists()

    @pytest.mark.parametrize("body", [{"amount": "1.001"}, {"amount": -1}, {}, {"amount": "x"}, {"amount": None}])
    def test_bad_amounts_are_400(self, api, conversion, body):
        response = api.post(_url(conversion), body, format="json")
        assert_400_on(response, "amount")
        assert not Refund.objects.exists()

    def test_beyond_what_remains_is_a_400_that_names_what_remains(self, api, conversion):
        assert api.post(_url(conversion), {"amount": 60}, format="json").status_code == 201
        response = api.post(_url(conversion), {"amount": 60}, format="json")
        assert_400_on(response, "amount")
        assert "40.00 EUR" in response.json()["error"]["fields"]["amount"][0]
        assert Refund.objects.count() == 1

    @pytest.mark.parametrize(
        ("field", "value", "status"),
        [
            ("note", "n" * 2000, 201),
            ("note", "n" * 2001, 400),
            ("external_ref", "e" * 255, 201),
            ("external_ref", "e" * 256, 400),
            ("reason", "chargeback", 201),
            ("reason", "lost", 400),
            ("amount_without_tax", "1.00", 201),
            ("amount_without_tax", "1.01", 400),
        ],
    )
    def test_field_limits(self, api, conversion, field, value, status):
        response = api.post(_url(conversion), {"amount": "1.00", field: value}, format="json")
        assert response.status_code == status, response.json()
        if status == 400:
            assert_400_on(response, field)

    def test_refunded_at_limits(self, api, conversion):
        before = (conversion.converted_at - timedelta(seconds=1)).isoformat()
        assert_400_on(api.post(_url(conversion), {"amount": 1, "refunded_at": before}, format="json"), "refunded_at")
        at = conversion.converted_at.isoformat()
        assert api.post(_url(conversion), {"amount": 1, "refunded_at": at}, format="json").status_code == 201
        soon = (timezone.now() + timedelta(minutes=4, seconds=50)).isoformat()
        assert api.post(_url(conversion), {"amount": 1, "refunded_at": soon}, format="json").status_code == 201
        late = (timezone.now() + timedelta(minutes=5, seconds=10)).isoformat()
        assert_400_on(api.post(_url(conversion), {"amount": 1, "refunded_at": late}, format="json"), "refunded_at")
        assert Refund.objects.count() == 2

    def test_external_ref_replay_and_conflict(self, api, conversion):
        body = {"amount": "10.00", "reason": "returned", "external_ref": "SHOP-R-1"}
        first = api.post(_url(conversion), body, format="json")
        again = api.post(_url(conversion), body, format="json")
        assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["data"]["id"] == first.json()["data"]["id"]
        conflict = api.post(_url(conversion), {**body, "amount": "11.00"}, format="json")
        error = assert_envelope(conflict, 409, "conflict")
        assert error["existing_id"] == first.json()["data"]["id"]
        other = ConversionFactory(organization=conversion.organization)
        assert api.post(_url(other), body, format="json").status_code == 409  # the key is per organization
        assert Refund.objects.count() == 1
        conversion.refresh_from_db()
        assert conversion.refunded_revenue == D("10.00")

    def test_a_reversal_names_the_refund_it_reverses(self, api, conversion):
        refund = api.post(_url(conversion), {"amount": 100, "reason": "fraud"}, format="json").json()["data"]
        reversal = api.post(_url(conversion), {"reverses_id": refund["id"], "note": "mistake"}, format="json")
        assert reversal.status_code == 201, reversal.json()
        assert reversal.json()["data"]["amount"] == -100.0 and reversal.json()["data"]["reverses_id"] == refund["id"]
        listed = {row["id"]: row for row in api.get(_url(conversion)).json()["data"]}
        assert listed[refund["id"]]["reversed_by_id"] == reversal.json()["data"]["id"]
        stored = api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]
        assert stored["net_revenue"] == 100.0 and stored["status"] == "approved"
        twice = api.post(_url(conversion), {"reverses_id": refund["id"]}, format="json")
        assert_400_on(twice, "reverses")
        with_amount = api.post(_url(conversion), {"reverses_id": refund["id"], "amount": 1}, format="json")
        assert with_amount.status_code == 400

    def test_refunds_are_immutable(self, api, conversion):
        refund = _refund(conversion, amount="5.00")
        for path in (f"/api/v1/refunds/{refund.pk}/", _url(conversion)):
            assert_envelope(api.put(path, {"amount": 1}, format="json"), 405, "validation_error")
            assert_envelope(api.patch(path, {"amount": 1}, format="json"), 405, "validation_error")
            assert_envelope(api.delete(path), 405, "validation_error")
        assert_envelope(api.post("/api/v1/refunds/", {"amount": 1}, format="json"), 405, "validation_error")
        assert Refund.objects.get().amount == D("5.00")

    def test_unknown_or_other_organizations_conversion_is_404(self, api, other_api, conversion):
        for path in (f"/api/v1/conversions/{NIL_UUID}/refunds/", "/api/v1/conversions/nope/refunds/"):
            assert_envelope(api.get(path), 404, "not_found")
            assert_envelope(api.post(path, {"amount": 1}, format="json"), 404, "not_found")
        assert_envelope(other_api.get(_url(conversion)), 404, "not_found")
        assert_envelope(other_api.post(_url(conversion), {"amount": 1}, format="json"), 404, "not_found")
        assert not Refund.objects.exists()

    def test_another_organizations_refund_cannot_be_reversed(self, api, conversion, other_organization):
        foreign = ConversionFactory(organization=other_organization, revenue="10.00")
        foreign_refund = _refund(foreign, amount="1.00")
        assert_400_on(api.post(_url(conversion), {"reverses_id": str(foreign_refund.pk)}, format="json"), "reverses_id")

    def test_read_only_key_cannot_refund(self, read_only_api, conversion):
        response = read_only_api.post(_url(conversion), {"amount": 1}, format="json")
        assert_envelope(response, 403, "permission_error")
        assert read_only_api.get(_url(conversion)).status_code == 200

    def test_unknown_body_fields_and_query_parameters(self, api, conversion):
        assert_400_on(api.post(_url(conversion), {"amount": 1, "colour": "x"}, format="json"), "colour")
        assert_400_on(api.post(_url(conversion), {"amount": 1, "organization": "x"}, format="json"), "organization")
        assert_400_on(api.get(_url(conversion), {"colour": "red"}), "colour")
        assert_envelope(api.post(_url(conversion), "", content_type="application/json"), 400, "validation_error")

    def test_status_refunded_by_patch_writes_the_ledger_entry(self, api, conversion):
        _refund(conversion, amount="25.00")
        response = api.patch(f"/api/v1/conversions/{conversion.pk}/", {"status": "refunded"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["data"]["net_revenue"] == 0
        entries = api.get(_url(conversion)).json()["data"]
        assert sorted((row["amount"], row["reason"]) for row in entries) == [(25.0, "other"), (75.0, "other")]
        back = api.patch(f"/api/v1/conversions/{conversion.pk}/", {"status": "approved"}, format="json")
        assert_400_on(back, "status")

    def test_status_refunded_by_post_writes_the_ledger_entry(self, api):
        response = api.post("/api/v1/conversions/", {"revenue": "9.99", "status": "refunded"}, format="json")
        assert response.status_code == 201
        conversion = Conversion.objects.get(pk=response.json()["data"]["id"])
        assert conversion.refunds.get().amount == D("9.99")
        assert response.json()["data"]["net_revenue"] == 0

    def test_status_refunded_in_a_batch_writes_the_ledger_entries(self, api):
        items = [{"revenue": "5.00", "status": "refunded"}, {"revenue": "6.00"}]
        response = api.post("/api/v1/conversions/batch/", {"conversions": items}, format="json")
        assert response.json()["summary"]["created"] == 2
        refunded = Conversion.objects.get(revenue=D("5.00"))
        assert refunded.refunds.get().amount == D("5.00") and refunded.net_revenue == 0
        assert refunded.attributions.count() == 0 or all(
            a.refunded_revenue == a.revenue for a in refunded.attributions.all()
        )
        assert not Conversion.objects.get(revenue=D("6.00")).refunds.exists()

    def test_lowering_revenue_below_refunded_is_400(self, api, conversion):
        _refund(conversion, amount="40.00")
        response = api.patch(
            f"/api/v1/conversions/{conversion.pk}/", {"revenue": "39.99", "revenue_without_tax": "35"}, format="json"
        )
        assert_400_on(response, "revenue")
        assert (
            api.patch(
                f"/api/v1/conversions/{conversion.pk}/",
                {"revenue": "40.00", "revenue_without_tax": "32"},
                format="json",
            ).status_code
            == 200
        )


@pytest.mark.django_db
class TestListingRefunds:
    def test_filters(self, api, organization):
        campaign = CampaignFactory(organization=organization)
        delivery = DeliveryFactory(organization=organization, campaign=campaign)
        credited = ConversionFactory(organization=organization, delivery=delivery, revenue="50.00")
        plain = ConversionFactory(organization=organization, revenue="50.00")
        early = _refund(credited, amount="1.00", reason="returned", refunded_at=credited.converted_at)
        late = _refund(plain, amount="2.00", reason="goodwill")

        def ids(query):
            response = api.get("/api/v1/refunds/", query)
            assert response.status_code == 200, response.json()
            return {row["id"] for row in response.json()["data"]}

        assert ids({}) == {str(early.pk), str(late.pk)}
        assert ids({"conversion_id": str(plain.pk)}) == {str(late.pk)}
        assert ids({"reason": "returned"}) == {str(early.pk)}
        assert ids({"campaign_id": str(campaign.pk)}) == {str(early.pk)}
        assert ids({"delivery_id": str(delivery.pk)}) == {str(early.pk)}
        middle = (early.refunded_at + timedelta(microseconds=1)).isoformat()
        assert ids({"refunded_after": middle}) == {str(late.pk)}
        assert ids({"refunded_before": middle}) == {str(early.pk)}
        for name, value in (("reason", "lost"), ("campaign_id", NIL_UUID), ("conversion_id", "x")):
            assert_400_on(api.get("/api/v1/refunds/", {name: value}), name)

    def test_another_organizations_campaign_is_a_400_filter(self, api, other_organization):
        foreign = CampaignFactory(organization=other_organization)
        assert_400_on(api.get("/api/v1/refunds/", {"campaign_id": str(foreign.pk)}), "campaign_id")

    def test_list_query_count_does_not_grow(self, api, organization):
        conversion = ConversionFactory(organization=organization, revenue="1000.00")
        refunds = [_refund(conversion, amount="1.00") for _ in range(30)]
        _refund(conversion, reverses=refunds[0])
        api.get(_url(conversion), {"limit": 1})
        with CaptureQueriesContext(connection) as one:
            assert len(api.get(_url(conversion), {"limit": 1}).json()["data"]) == 1
        with CaptureQueriesContext(connection) as many:
            assert len(api.get(_url(conversion), {"limit": 31}).json()["data"]) == 31
        assert len(many.captured_queries) == len(one.captured_queries)
        with CaptureQueriesContext(connection) as one:
            api.get("/api/v1/refunds/", {"limit": 1})
        with CaptureQueriesContext(connection) as many:
            api.get("/api/v1/refunds/", {"limit": 31})
        assert len(many.captured_queries) == len(one.captured_queries) <= 4
