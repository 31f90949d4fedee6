"""``GET /compat/topmail/api/v1/conversions``: the seed's example, the nested rows, filters, pagination edges,
tenancy and a query count that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.services import contact_delete
from contacts.tests.factories import ContactFactory
from conversions.services import conversion_create, touchpoint_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory

from .conftest import SEED_LIST_ANSWER, SEED_LIST_QUERY, TOPMAIL_TIME, URL, assert_same_shape, post, post_raw

pytestmark = pytest.mark.django_db


def test_the_seed_list_example_answers_in_the_seed_shape(api, seed_create_body, summer_sale):
    created = post_raw(api, seed_create_body).json()["data"]
    post(api, {"email": "other@example.com", "type": "signup"})  # filtered out by type=purchase

    response = api.get(f"{URL}?{SEED_LIST_QUERY}")  # with the seed's header: Authorization: Bearer <key>

    assert response.status_code == 200, response.json()
    body = response.json()
    assert_same_shape(body, SEED_LIST_ANSWER)
    assert body["pagination"] == {"total": 1, "limit": 50, "offset": 0, "has_more": False}
    [row] = body["data"]
    assert row["id"] == created["id"]
    assert (row["type"], row["revenue"], row["currency"], row["order_id"]) == ("purchase", 149.99, "USD", "order-789")
    assert row["contact"] == {"id": created["contact_id"], "email": "customer@example.com"}
    assert row["campaign"] == {"id": str(summer_sale.pk), "name": "Summer Sale"}
    assert row["flow"] is None
    assert row["attribution_model"] == "last_touch"
    assert row["metadata"] == {"product": "Premium Plan", "source": "checkout"}
    assert (row["converted_at"], row["created_at"]) == (created["converted_at"], created["created_at"])
    assert TOPMAIL_TIME.match(row["converted_at"])


def test_rows_nest_the_flow_and_credited_targets(api, organization, flow):
    jane = ContactFactory(organization=organization, email="jane@example.com")
    campaign = CampaignFactory(organization=organization, name="Spring")
    campaign_flow = DeliveryFactory(organization=organization, campaign=campaign, name="Spring flow")
    now = timezone.now()
    touchpoint_create(
        organization=organization,
        contact=jane,
        delivery=campaign_flow,
        kind="open",
        occurred_at=now - timedelta(days=2),
    )
    explicit_flow = post(api, {"email": "x@example.com", "flow_id": str(flow.pk), "converted_at": _ago(3)})
    credited = post(api, {"email": "jane@example.com", "converted_at": _ago(1)})
    nothing = post(api, {"email": "y@example.com", "converted_at": _ago(2)})

    rows = {row["id"]: row for row in api.get(URL).json()["data"]}

    row = rows[explicit_flow.json()["data"]["id"]]
    assert row["flow"] == {"id": str(flow.pk), "name": "Welcome flow"} and row["campaign"] is None
    row = rows[credited.json()["data"]["id"]]
    assert row["flow"] == {"id": str(campaign_flow.pk), "name": "Spring flow"}
    assert row["campaign"] == {"id": str(campaign.pk), "name": "Spring"}
    row = rows[nothing.json()["data"]["id"]]
    assert row["flow"] is None and row["campaign"] is None


def _ago(hours: int) -> str:
    return (timezone.now() - timedelta(hours=hours)).isoformat()


def test_rows_are_newest_first(api):
    ids = [
        post(api, {"email": "a@example.com", "converted_at": _ago(hours)}).json()["data"]["id"] for hours in (3, 1, 2)
    ]

    listed = [row["id"] for row in api.get(URL).json()["data"]]

    assert listed == [ids[1], ids[2], ids[0]]


def test_a_row_whose_contact_was_deleted_has_contact_null(api, organization):
    post(api, {"email": "gone@example.com"})
    contact_delete(contact=ContactFactory._meta.model.objects.get(email="gone@example.com"))

    [row] = api.get(URL).json()["data"]

    assert row["contact"] is None


def test_filters_contact_campaign_and_type(api, organization, summer_sale, flow):
    jane = ContactFactory(organization=organization, email="jane@example.com")
    summer_flow = DeliveryFactory(organization=organization, campaign=summer_sale)
    by_campaign = post(api, {"contact_id": str(jane.pk), "campaign_id": str(summer_sale.pk), "type": "purchase"})
    by_campaign_flow = post(api, {"email": "x@example.com", "flow_id": str(summer_flow.pk), "type": "purchase"})
    by_lone_flow = post(api, {"contact_id": str(jane.pk), "flow_id": str(flow.pk), "type": "signup"})
    ids = [response.json()["data"]["id"] for response in (by_campaign, by_campaign_flow, by_lone_flow)]

    def listed(**query):
        response = api.get(URL, query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["data"]}

    assert listed(contact_id=str(jane.pk)) == {ids[0], ids[2]}
    assert listed(campaign_id=str(summer_sale.pk)) == {ids[0], ids[1]}  # a flow of the campaign counts for it
    assert listed(type="purchase") == {ids[0], ids[1]}
    assert listed(type="signup", contact_id=str(jane.pk)) == {ids[2]}
    assert listed(type="upgrade") == set()
    assert listed(type="") == set(ids)  # an empty filter filters nothing, as on /api/v1/


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"type": "refund"}, "type"),
        ({"contact_id": "not-a-uuid"}, "contact_id"),
        ({"campaign_id": "00000000-0000-0000-0000-000000000000"}, "campaign_id"),
        ({"flow_id": "00000000-0000-0000-0000-000000000000"}, "flow_id"),
        ({"ordering": "-revenue"}, "ordering"),
        ({"search": "x"}, "search"),
        ({"facets": "type"}, "facets"),
        ({"status": "approved"}, "status"),
    ],
)
def test_bad_or_unknown_query_parameters_are_a_400(api, query, field):
    response = api.get(URL, query)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"limit": 0}, 400),
        ({"limit": 1}, 200),
        ({"limit": 1000}, 200),
        ({"limit": 1001}, 400),
        ({"limit": "many"}, 400),
        ({"offset": -1}, 400),
        ({"offset": 0}, 200),
        ({"offset": "x"}, 400),
    ],
)
def test_pagination_edges(api, query, status):
    for _ in range(2):
        post(api, {"email": "a@example.com"})

    response = api.get(URL, query)

    assert response.status_code == status, response.json()
    if status == 400:
        assert list(response.json()["error"]["fields"]) == list(query)
    else:
        pagination = response.json()["pagination"]
        assert pagination["total"] == 2
        assert len(response.json()["data"]) == min(2, query.get("limit", 100))


def test_pages_and_has_more(api):
    for _ in range(3):
        post(api, {"email": "a@example.com"})

    first = api.get(URL, {"limit": 2}).json()
    second = api.get(URL, {"limit": 2, "offset": 2}).json()
    beyond = api.get(URL, {"offset": 10}).json()

    assert first["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    assert second["pagination"] == {"total": 3, "limit": 2, "offset": 2, "has_more": False}
    assert len({row["id"] for row in first["data"] + second["data"]}) == 3
    assert beyond["data"] == [] and beyond["pagination"]["has_more"] is False
    assert api.get(URL).json()["pagination"]["limit"] == 100  # the default


def test_another_organization_sees_none_of_these_rows(api, other_api, organization, summer_sale):
    jane = ContactFactory(organization=organization)
    post(api, {"contact_id": str(jane.pk), "campaign_id": str(summer_sale.pk), "type": "purchase"})

    response = other_api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"data": [], "pagination": {"total": 0, "limit": 100, "offset": 0, "has_more": False}}
    for query in ({"contact_id": str(jane.pk)}, {"campaign_id": str(summer_sale.pk)}):
        response = other_api.get(URL, query)  # another organization's id: it does not exist for this key
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == list(query)


def test_no_key_is_a_401_and_a_read_only_key_may_list(api, read_only_api, client):
    post(api, {"email": "a@example.com"})

    assert client.get(URL).status_code == 401
    response = read_only_api.get(URL)
    assert response.status_code == 200 and response.json()["pagination"]["total"] == 1


def _make_rows(organization, count: int, start: int) -> None:
    """Rows of every kind: explicit campaign, explicit flow, credited through a touch, and with no target."""
    now = timezone.now()
    for index in range(start, start + count):
        contact = ContactFactory(organization=organization)
        campaign = CampaignFactory(organization=organization)
        delivery = DeliveryFactory(organization=organization, campaign=campaign)
        touchpoint_create(
            organization=organization, contact=contact, delivery=delivery, kind="click",
            occurred_at=now - timedelta(days=1),
        )  # fmt: skip
        targets = [{"campaign": campaign}, {"delivery": delivery}, {}, {}][index % 4]
        conversion_create(organization=organization, contact=contact, revenue="1.00", **targets)
        if index % 4 == 3:
            conversion_create(organization=organization, revenue="2.00")  # no contact, no credit


def test_the_query_count_does_not_grow_with_the_rows(api, organization):
    _make_rows(organization, 1, 0)
    api.get(URL)  # the key's first use of the minute also records last_used_at: not part of the count
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(URL).json()["data"]) == 1

    _make_rows(organization, 8, 1)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(URL).json()["data"]) == 11

    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]
    assert len(few.captured_queries) <= 6
