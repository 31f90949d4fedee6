"""Windows per touch kind, opens and machine opens, stored as credit by every write path, and the conversion's own
window as the override of both."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.services import organization_update
from contacts.tests.factories import ContactFactory
from conversions.models import Attribution
from conversions.services import (
    conversion_create,
    conversion_update,
    conversions_create_batch,
    conversions_reattribute,
    touchpoint_create,
    touchpoint_update,
)
from conversions.tests.factories import CampaignFactory

CONVERTED_AT = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def contact(organization):
    return ContactFactory(organization=organization)


@pytest.fixture
def campaigns(organization):
    return CampaignFactory.create_batch(4, organization=organization)


def _touch(organization, contact, campaign, kind, before, **fields):
    return touchpoint_create(
        organization=organization, contact=contact, campaign=campaign, kind=kind,
        occurred_at=CONVERTED_AT - before, **fields,
    )  # fmt: skip


def _convert(organization, contact, **fields):
    return conversion_create(
        organization=organization, contact=contact, revenue="100.00", attribution_model="linear",
        converted_at=CONVERTED_AT, **fields,
    )[0]  # fmt: skip


def _credited(conversion) -> set:
    return set(Attribution.objects.filter(conversion=conversion).values_list("campaign_id", flat=True))


@pytest.mark.django_db
def test_click_and_open_windows_at_their_edges(organization, contact, campaigns):
    organization_update(organization=organization, click_window_days=3, open_window_days=10)
    click_in, click_out, open_in, open_out = campaigns
    _touch(organization, contact, click_in, "click", timedelta(days=3))
    _touch(organization, contact, click_out, "click", timedelta(days=3, microseconds=1))
    _touch(organization, contact, open_in, "open", timedelta(days=10))
    _touch(organization, contact, open_out, "open", timedelta(days=10, microseconds=1))
    conversion = _convert(organization, contact)
    assert _credited(conversion) == {click_in.pk, open_in.pk}
    assert conversion.attribution_window == 7 and not conversion.attribution_window_explicit


@pytest.mark.django_db
def test_a_given_window_overrides_both_kinds(organization, contact, campaigns):
    organization_update(organization=organization, click_window_days=3, open_window_days=10)
    click, open_, open_too_old, _ = campaigns
    _touch(organization, contact, click, "click", timedelta(days=5))
    _touch(organization, contact, open_, "open", timedelta(days=5))
    _touch(organization, contact, open_too_old, "open", timedelta(days=5, microseconds=1))
    conversion = _convert(organization, contact, attribution_window=5)
    assert conversion.attribution_window_explicit
    assert _credited(conversion) == {click.pk, open_.pk}


@pytest.mark.django_db
def test_opens_not_counted(organization, contact, campaigns):
    organization_update(organization=organization, count_opens=False)
    clicked, opened, *_ = campaigns
    _touch(organization, contact, clicked, "click", timedelta(days=1))
    _touch(organization, contact, opened, "open", timedelta(hours=1))
    assert _credited(_convert(organization, contact)) == {clicked.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("exclude", "credited"), [(True, {"human", "machine_click"}), (False, {"human", "machine", "machine_click"})]
)
def test_machine_opens(organization, contact, campaigns, exclude, credited):
    organization_update(organization=organization, exclude_machine_opens=exclude)
    human, machine, machine_click, _ = campaigns
    names = {human.pk: "human", machine.pk: "machine", machine_click.pk: "machine_click"}
    _touch(organization, contact, human, "open", timedelta(days=2))
    _touch(organization, contact, machine, "open", timedelta(days=1), is_machine=True)
    _touch(organization, contact, machine_click, "click", timedelta(days=1), is_machine=True)
    assert {names[pk] for pk in _credited(_convert(organization, contact))} == credited


@pytest.mark.django_db
def test_explicit_credit_still_wins(organization, contact, campaigns):
    touched, chosen, *_ = campaigns
    _touch(organization, contact, touched, "click", timedelta(hours=1))
    assert _credited(_convert(organization, contact, campaign=chosen)) == {chosen.pk}


@pytest.mark.django_db
def test_a_late_machine_flag_re_attributes_in_the_background(
    organization, contact, campaigns, django_capture_on_commit_callbacks
):
    opened, clicked, *_ = campaigns
    _touch(organization, contact, clicked, "click", timedelta(days=2))
    late_open = _touch(organization, contact, opened, "open", timedelta(days=1))
    conversion = _convert(organization, contact)
    assert _credited(conversion) == {opened.pk, clicked.pk}
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_update(touchpoint=late_open, is_machine=True)  # tasks run eagerly in tests
    assert _credited(conversion) == {clicked.pk}


@pytest.mark.django_db
def test_batch_uses_the_same_windows(organization, contact, campaigns):
    organization_update(organization=organization, click_window_days=2, open_window_days=4)
    click_in, click_out, open_in, _ = campaigns
    _touch(organization, contact, click_in, "click", timedelta(days=2))
    _touch(organization, contact, click_out, "click", timedelta(days=3))
    _touch(organization, contact, open_in, "open", timedelta(days=3))
    item = {
        "contact": contact,
        "revenue": Decimal("10.00"),
        "attribution_model": "linear",
        "converted_at": CONVERTED_AT,
    }
    (outcome,) = conversions_create_batch(organization=organization, items=[item])
    assert _credited(outcome.conversion) == {click_in.pk, open_in.pk}


@pytest.mark.django_db
def test_changed_settings_apply_to_new_conversions_not_to_stored_credit(organization, contact, campaigns):
    clicked, *_ = campaigns
    _touch(organization, contact, clicked, "click", timedelta(days=5))
    old = _convert(organization, contact)
    organization_update(organization=organization, click_window_days=3, default_attribution_model="time_decay")
    assert _credited(old) == {clicked.pk}
    new = conversion_create(organization=organization, contact=contact, converted_at=CONVERTED_AT)[0]
    assert new.attribution_model == "time_decay"
    assert _credited(new) == set()


@pytest.mark.django_db
def test_patching_a_window_makes_it_explicit(organization, contact, campaigns):
    organization_update(organization=organization, click_window_days=3)
    clicked, *_ = campaigns
    _touch(organization, contact, clicked, "click", timedelta(days=5))
    conversion = _convert(organization, contact)
    assert _credited(conversion) == set()
    conversion = conversion_update(conversion=conversion, attribution_window=7)
    assert conversion.attribution_window_explicit
    assert _credited(conversion) == {clicked.pk}
    conversions_reattribute(conversion_ids=[conversion.pk])
    assert _credited(conversion) == {clicked.pk}


@pytest.mark.django_db
def test_api_reports_the_default_window_for_a_conversion_created_without_one(api, organization, contact):
    organization_update(organization=organization, click_window_days=3, open_window_days=14)
    response = api.post("/api/v1/conversions/", {"contact_id": str(contact.pk)}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attribution_window"] == 7


@pytest.mark.django_db
def test_touchpoint_api_takes_and_shows_is_machine(api, organization, contact, campaigns):
    body = {"contact_id": str(contact.pk), "campaign_id": str(campaigns[0].pk), "kind": "open",
            "occurred_at": "2025-03-01T10:00:00Z", "is_machine": True}  # fmt: skip
    response = api.post("/api/v1/touchpoints/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["is_machine"] is True
    listed = api.get("/api/v1/touchpoints/?is_machine=true").json()["data"]
    assert [row["id"] for row in listed] == [response.json()["data"]["id"]]
    assert api.get("/api/v1/touchpoints/?is_machine=false").json()["data"] == []
    assert len(api.get("/api/v1/touchpoints/?is_machine=").json()["data"]) == 1
    refused = api.get("/api/v1/touchpoints/?is_machine=maybe")
    assert refused.status_code == 400
    assert "is_machine" in refused.json()["error"]["fields"]
    default = api.post("/api/v1/touchpoints/", {**body, "is_machine": None} | {"kind": "click"}, format="json")
    assert default.status_code == 400
    plain = {key: value for key, value in body.items() if key != "is_machine"}
    assert api.post("/api/v1/touchpoints/", plain, format="json").json()["data"]["is_machine"] is False
