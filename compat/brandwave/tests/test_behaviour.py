"""The adapter is /api/v1/ under other names: the same conversion, the same deduplication, attribution, history and
report updates, through the same services; and its list (filter, search, sort, facets) in constant queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.tests.factories import ContactFactory
from conversions.models import Conversion
from conversions.services import touchpoint_create
from conversions.tests.factories import DeliveryFactory

from .conftest import BASE, an_hour_ago, detail

API = "/api/v1/conversions/"
TOTALS = "/reporting/v1/conversions/totals"
NOT_COMPARED = {"id", "created_at", "updated_at"}


def conversions_number(api) -> int:
    response = api.get(TOTALS)
    assert response.status_code == 200, response.content
    return response.json()["conversions"]["conversionsNumber"]


def canonical(api, pk) -> dict:
    """The conversion as /api/v1/ shows it."""
    response = api.get(f"{API}{pk}/")
    assert response.status_code == 200
    return response.json()["data"]


def page(api, organization, **query) -> dict:
    response = api.get(BASE, {"pageIndex": 0, "pageSize": 100, "organizationId": organization.slug, **query})
    assert response.status_code == 200, response.content
    return response.json()


# --- Deduplication through externalRef ------------------------------------------------------------------------------


def test_same_external_ref_and_values_is_a_replay(api, body):
    sent = body(externalRef="ORDER-1", count=2, origin="web", metadata={"a": 1})
    first = api.post(BASE, sent, format="json")
    again = api.post(BASE, sent, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again.json() == first.json()
    assert Conversion.objects.count() == 1


def test_replay_in_snake_case_of_a_camel_case_create(api, body, organization, campaign):
    sent = body(externalRef="ORDER-1")
    first = api.post(BASE, sent, format="json").json()["data"]
    snake = {
        "organization_id": organization.slug, "source_id": sent["sourceId"], "converted_at": sent["convertedAt"],
        "external_ref": "ORDER-1",
    }  # fmt: skip
    again = api.post(BASE, snake, format="json")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first["id"]


@pytest.mark.parametrize("change", [{"count": 3}, {"origin": "app"}, {"metadata": {"a": 2}}, {"sourceId": "delivery"}])
def test_same_external_ref_with_other_values_is_a_409(api, body, delivery, change):
    original = {"externalRef": "ORDER-1", "origin": "web", "metadata": {"a": 1}}
    first = api.post(BASE, body(**original), format="json").json()
    if change.get("sourceId") == "delivery":
        change = {"sourceId": str(delivery.pk)}
    response = api.post(BASE, body(**(original | change)), format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["type"], error["existing_id"]) == ("conflict", first["data"]["id"])
    assert Conversion.objects.count() == 1
    assert api.get(detail(first["data"]["id"])).json() == first


def test_patch_to_an_external_ref_another_conversion_has_is_a_409(api, body):
    first = api.post(BASE, body(externalRef="ORDER-1"), format="json").json()["data"]
    second = api.post(BASE, body(externalRef="ORDER-2"), format="json").json()["data"]
    response = api.patch(detail(second["id"]), {"externalRef": "ORDER-1", "count": 5}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["existing_id"] == first["id"]
    assert Conversion.objects.get(pk=second["id"]).count == 1


def test_the_dedup_key_is_shared_with_api_v1_order_id(api, body, campaign):
    created = api.post(API, {"order_id": "SHOP-1", "campaign_id": str(campaign.pk)}, format="json").json()["data"]
    response = api.post(BASE, body(externalRef="SHOP-1", count=9), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["existing_id"] == created["id"]


# --- The same conversion as /api/v1/ -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["campaign", "delivery"])
def test_a_conversion_through_the_adapter_equals_one_through_api_v1(api, body, campaign, delivery, source):
    target = {"campaign": campaign, "delivery": delivery}[source]
    converted_at = an_hour_ago()
    through_adapter = api.post(
        BASE,
        body(
            sourceId=str(target.pk), convertedAt=converted_at, count=3, origin="website", externalRef="SAME-1",
            metadata={"post": "reel", "likes": 12},
        ),
        format="json",
    )  # fmt: skip
    assert through_adapter.status_code == 201, through_adapter.content
    adapter_pk = through_adapter.json()["data"]["id"]
    adapter_view = canonical(api, adapter_pk)
    assert api.delete(f"{API}{adapter_pk}/").status_code == 204  # frees the order id for the direct create

    direct = api.post(
        API,
        {
            f"{source}_id": str(target.pk), "converted_at": converted_at, "count": 3, "origin": "website",
            "order_id": "SAME-1", "metadata": {"post": "reel", "likes": 12},
        },
        format="json",
    )  # fmt: skip
    assert direct.status_code == 201, direct.content
    direct_view = canonical(api, direct.json()["data"]["id"])

    def compared(view: dict) -> dict:
        return {name: value for name, value in view.items() if name not in NOT_COMPARED}

    assert compared(adapter_view) == compared(direct_view)
    assert adapter_view["attributions"] and adapter_view["attributions"][0][f"{source}_id"] == str(target.pk)


def test_a_conversion_without_explicit_source_shows_a_null_source(api, organization):
    created = api.post(API, {"revenue": "5.00", "origin": "app"}, format="json").json()["data"]
    item = api.get(detail(created["id"])).json()["data"]
    assert (item["sourceId"], item["sourceType"], item["origin"], item["externalRef"]) == (None, None, "app", None)
    assert page(api, organization)["facets"]["sourceId"] == {"": 1}


# --- Reports and history, as /api/v1/ does them -------------------------------------------------------------------


def test_create_patch_and_delete_count_in_reporting_at_once(api, body):
    assert conversions_number(api) == 0
    pk = api.post(BASE, body(count=4), format="json").json()["data"]["id"]
    assert conversions_number(api) == 4
    api.patch(detail(pk), {"count": 10}, format="json")
    assert conversions_number(api) == 10
    assert api.delete(detail(pk)).status_code == 200
    assert conversions_number(api) == 0


def test_patching_the_source_moves_the_credit_in_reports_at_once(api, body, campaign, organization):
    lone_delivery = DeliveryFactory(organization=organization)
    pk = api.post(BASE, body(count=2), format="json").json()["data"]["id"]

    def credited(kind, target) -> list[str]:
        response = api.get(f"/reporting/v1/{kind}/{target.pk}/conversions")
        assert response.status_code == 200
        return [row["conversionId"] for row in response.json()["conversions"]]

    assert (credited("campaigns", campaign), credited("deliveries", lone_delivery)) == ([pk], [])
    assert api.patch(detail(pk), {"sourceId": str(lone_delivery.pk)}, format="json").status_code == 200
    assert (credited("campaigns", campaign), credited("deliveries", lone_delivery)) == ([], [pk])


def test_patch_and_delete_write_the_same_history_as_api_v1(api, body, api_key_secret):
    through_adapter = api.post(BASE, body(count=1, externalRef="H-1"), format="json").json()["data"]["id"]
    direct_body = {"campaign_id": body()["sourceId"], "converted_at": body()["convertedAt"], "order_id": "H-2"}
    direct = api.post(API, direct_body, format="json").json()["data"]["id"]

    api.patch(detail(through_adapter), {"count": 5, "origin": "app"}, format="json")
    api.patch(f"{API}{direct}/", {"count": 5, "origin": "app"}, format="json")

    def last_change(pk):
        records = list(Conversion.history.filter(id=pk).order_by("history_date"))
        latest = records[-1]
        return latest.history_type, latest.history_api_key, sorted(latest.diff_against(records[-2]).changed_fields)

    assert last_change(through_adapter) == last_change(direct)
    history_type, actor, changed = last_change(through_adapter)
    assert (history_type, changed) == ("~", ["count", "origin"])
    assert actor and api_key_secret.split("_")[1] in actor  # the key that made the change, by its prefix

    api.delete(detail(through_adapter))
    deleted = Conversion.history.filter(id=through_adapter).order_by("history_date").last()
    assert (deleted.history_type, deleted.count, deleted.origin, deleted.order_id) == ("-", 5, "app", "H-1")
    assert deleted.history_api_key == actor


# --- The list: filter, search, sort, facets, queries ---------------------------------------------------------------


def test_source_filter_is_the_credit_as_on_api_v1(api, organization, body, campaign, delivery):
    on_campaign = api.post(BASE, body(), format="json").json()["data"]["id"]
    on_delivery = api.post(BASE, body(sourceId=str(delivery.pk)), format="json").json()["data"]["id"]
    lone = DeliveryFactory(organization=organization)
    on_lone = api.post(BASE, body(sourceId=str(lone.pk)), format="json").json()["data"]["id"]
    # Credit by a click, without an explicit source (created through /api/v1/).
    contact = ContactFactory(organization=organization)
    touchpoint_create(
        organization=organization, contact=contact, delivery=lone, kind="click",
        occurred_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    clicked = api.post(API, {"contact_id": str(contact.pk)}, format="json").json()["data"]["id"]

    def ids(source) -> set[str]:
        return {item["id"] for item in page(api, organization, sourceId=str(source.pk))["items"]}

    assert ids(campaign) == {on_campaign, on_delivery}  # a delivery's credit counts for its campaign
    assert ids(delivery) == {on_delivery}
    assert ids(lone) == {on_lone, clicked}
    for source in (campaign, delivery, lone):
        assert api.get(API, {f"{'campaign' if source == campaign else 'delivery'}_id": str(source.pk)}).json()[
            "pagination"
        ]["total"] == len(ids(source))


def test_search_term_is_our_search(api, organization, body):
    contact = ContactFactory(organization=organization, email="influencer@example.com")
    by_ref = api.post(BASE, body(externalRef="SPRING-Promo-7"), format="json").json()["data"]["id"]
    by_email = api.post(API, {"contact_id": str(contact.pk)}, format="json").json()["data"]["id"]
    api.post(BASE, body(externalRef="other"), format="json")
    for term, expected in (("spring-promo", {by_ref}), ("influencer@", {by_email}), ("spring 7", {by_ref})):
        result = page(api, organization, searchTerm=term)
        assert {item["id"] for item in result["items"]} == expected, term
        assert result["totalCount"] == len(expected)
    for term, name in (("spring-promo", "search"), ("influencer@", "search")):
        assert api.get(API, {name: term}).json()["pagination"]["total"] == 1


def test_sort_by_and_direction(api, organization, body):
    for hours, count, ref in ((3, 20, "b"), (2, 10, "c"), (1, 30, "a")):
        api.post(BASE, body(convertedAt=an_hour_ago(hours), count=count, externalRef=ref), format="json")

    def counts(**query) -> list[int]:
        return [item["count"] for item in page(api, organization, **query)["items"]]

    assert counts() == [30, 10, 20]  # default: convertedAt, newest first (as /api/v1/)
    assert counts(sortBy="count") == [10, 20, 30]  # sortBy alone: ascending
    assert counts(sortBy="count", sortDirection="desc") == [30, 20, 10]
    assert counts(sortBy="externalRef", sortDirection="asc") == [30, 20, 10]
    assert counts(sort_by="external_ref", sort_direction="desc") == [10, 20, 30]
    assert counts(sortDirection="asc") == [20, 10, 30]  # sortDirection alone: convertedAt


def test_facets_count_the_whole_filtered_set_not_the_page(api, organization, body, delivery):
    for origin, source in (("web", None), ("web", delivery), ("app", None), ("", None)):
        changes = {"origin": origin} | ({"sourceId": str(source.pk)} if source else {})
        api.post(BASE, body(**changes), format="json")
    result = page(api, organization, pageSize=1)
    assert (len(result["items"]), result["totalCount"]) == (1, 4)
    assert result["facets"] == {
        "origin": {"web": 2, "": 1, "app": 1},
        "sourceId": {body()["sourceId"]: 3, str(delivery.pk): 1},
    }
    assert list(result["facets"]["origin"]) == ["web", "", "app"]  # most frequent first, then by value
    filtered = page(api, organization, sourceId=str(delivery.pk))
    assert filtered["facets"] == {"origin": {"web": 1}, "sourceId": {str(delivery.pk): 1}}


@pytest.mark.parametrize("query", [{}, {"searchTerm": "ref"}, {"sourceId": "campaign"}, {"sortBy": "count"}])
def test_list_queries_do_not_grow_with_the_rows(api, organization, body, campaign, query):
    if query.get("sourceId") == "campaign":
        query = {"sourceId": str(campaign.pk)}
    for index in range(30):
        api.post(BASE, body(externalRef=f"ref-{index}", origin=f"o{index % 3}"), format="json")

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            result = page(api, organization, pageSize=page_size, **query)
        assert len(result["items"]) == page_size and result["totalCount"] == 30
        return len(captured.captured_queries)

    assert queries(1) == queries(30)
