"""``GET /api/v1/conversions/{id}/attribution``: why a conversion has its credit, from the rule that computed it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.services import organization_update
from contacts.tests.factories import ContactFactory
from conversions.services import conversion_create, touchpoint_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory

CONVERTED_AT = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def _url(conversion, slash: str = "") -> str:
    return f"/api/v1/conversions/{conversion.pk}/attribution{slash}"


@pytest.fixture
def journey(organization):
    """A contact with a touch of every outcome around one linear conversion without explicit credit; clicks count
    for 3 days, opens for 7."""
    organization_update(organization=organization, click_window_days=3)
    contact = ContactFactory(organization=organization)
    early, clicked, opened, later = CampaignFactory.create_batch(4, organization=organization)
    delivery = DeliveryFactory(organization=organization, campaign=clicked)

    def touch(kind, days_before, **fields):
        return touchpoint_create(
            organization=organization,
            contact=contact,
            kind=kind,
            occurred_at=CONVERTED_AT - timedelta(days=days_before),
            **fields,
        )

    touches = {
        "outside_window": touch("click", 5, campaign=early),
        "click": touch("click", 2, delivery=delivery),
        "open": touch("open", 1, campaign=opened),
        "machine_open": touch("open", 0.5, campaign=opened, is_machine=True),
        "delivered": touch("delivered", 0.25, campaign=opened),
        "after_conversion": touch("click", -1, campaign=later),
    }
    conversion = conversion_create(
        organization=organization,
        contact=contact,
        revenue="90.00",
        attribution_model="linear",
        converted_at=CONVERTED_AT,
    )[0]
    return {"conversion": conversion, "touches": touches, "clicked": clicked, "delivery": delivery, "opened": opened}


@pytest.mark.django_db
@pytest.mark.parametrize("slash", ["", "/"])
def test_shape_outcomes_and_weights(api, journey, slash):
    response = api.get(_url(journey["conversion"], slash))
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert set(data) == {"model", "windows", "explicit", "touchpoints", "attributions"}
    assert data["model"] == "linear"
    assert data["windows"] == {
        "click_days": 3, "open_days": 7, "override_days": None, "count_opens": True, "exclude_machine_opens": True,
    }  # fmt: skip
    assert data["explicit"] is False
    touches = journey["touches"]
    outcomes = {row["id"]: (row["outcome"], row["weight"]) for row in data["touchpoints"]}
    assert outcomes == {
        str(touches["outside_window"].pk): ("outside_window", None),
        str(touches["click"].pk): ("counted", 0.5),
        str(touches["open"].pk): ("counted", 0.5),
        str(touches["machine_open"].pk): ("machine_open", None),
        str(touches["delivered"].pk): ("kind_not_counted", None),
        str(touches["after_conversion"].pk): ("after_conversion", None),
    }
    assert [row["occurred_at"] for row in data["touchpoints"]] == sorted(
        row["occurred_at"] for row in data["touchpoints"]
    )
    click = next(row for row in data["touchpoints"] if row["id"] == str(touches["click"].pk))
    assert click == {
        "id": str(touches["click"].pk),
        "kind": "click",
        "occurred_at": "2025-03-08T12:00:00Z",
        "campaign_id": str(journey["clicked"].pk),
        "delivery_id": str(journey["delivery"].pk),
        "outcome": "counted",
        "weight": 0.5,
    }
    detail = api.get(f"/api/v1/conversions/{journey['conversion'].pk}").json()["data"]
    assert data["attributions"] == detail["attributions"]
    assert sorted(row["revenue"] for row in data["attributions"]) == [45.0, 45.0]


@pytest.mark.django_db
def test_explicit_credit_overrides_every_touch(api, organization, journey):
    contact = journey["conversion"].contact
    conversion = conversion_create(
        organization=organization, contact=contact, campaign=journey["opened"], converted_at=CONVERTED_AT
    )[0]
    data = api.get(_url(conversion)).json()["data"]
    assert data["explicit"] is True
    assert {row["outcome"] for row in data["touchpoints"]} == {"explicit_override"}
    assert all(row["weight"] is None for row in data["touchpoints"])
    assert [(row["campaign_id"], row["weight"]) for row in data["attributions"]] == [(str(journey["opened"].pk), 1.0)]


@pytest.mark.django_db
def test_an_explicit_window_is_the_override(api, organization, journey):
    conversion = conversion_create(
        organization=organization, contact=journey["conversion"].contact, attribution_window=8,
        converted_at=CONVERTED_AT,
    )[0]  # fmt: skip
    data = api.get(_url(conversion)).json()["data"]
    assert data["windows"]["override_days"] == 8
    assert data["windows"]["click_days"] == 3
    early = next(row for row in data["touchpoints"] if row["id"] == str(journey["touches"]["outside_window"].pk))
    assert early["outcome"] == "counted"


@pytest.mark.django_db
def test_another_organizations_conversion_is_a_404(other_api, journey):
    response = other_api.get(_url(journey["conversion"]))
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


@pytest.mark.django_db
def test_read_only_keys_may_read_it(read_only_api, journey):
    assert read_only_api.get(_url(journey["conversion"])).status_code == 200


@pytest.mark.django_db
def test_unknown_query_parameter_is_a_400(api, journey):
    assert api.get(_url(journey["conversion"]) + "?verbose=1").status_code == 400


@pytest.mark.django_db
def test_query_count_does_not_grow_with_touchpoints(api, organization, journey, django_assert_max_num_queries):
    contact = journey["conversion"].contact
    campaign = CampaignFactory(organization=organization)
    for minutes in range(40):
        touchpoint_create(
            organization=organization, contact=contact, campaign=campaign, kind="open",
            occurred_at=CONVERTED_AT - timedelta(minutes=minutes + 1),
        )  # fmt: skip
    api.get(_url(journey["conversion"]))  # the key's last use is written at most once a minute
    with django_assert_max_num_queries(6):
        response = api.get(_url(journey["conversion"]))
    assert response.status_code == 200
    assert len(response.json()["data"]["touchpoints"]) == 46


@pytest.mark.django_db
def test_weights_of_the_counted_touches_sum_to_one(api, journey):
    data = api.get(_url(journey["conversion"])).json()["data"]
    weights = [Decimal(str(row["weight"])) for row in data["touchpoints"] if row["outcome"] == "counted"]
    assert sum(weights) == 1
