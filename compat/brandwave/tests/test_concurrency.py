"""Simultaneous identical Brandwave POSTs with one ``externalRef`` make exactly one conversion (real transactions,
threads; on SQLite and on PostgreSQL), like /api/v1/'s ``order_id``: the others are replays."""

import pytest

from accounts.services import api_key_create, organization_create
from conversions.models import Conversion
from conversions.tests.factories import CampaignFactory
from conversions.tests.test_api_concurrency import THREADS
from conversions.tests.test_api_concurrency import _post_all_at_once as post_all_at_once  # the same race

from .conftest import BASE, an_hour_ago


@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_posts_make_one_conversion():
    organization = organization_create(slug="race", name="Race", reference_currency="EUR", timezone_name="UTC")
    secret = api_key_create(organization=organization, name="racer")[1]
    campaign = CampaignFactory(organization=organization)
    body = {
        "organization_id": "race", "source_id": str(campaign.pk), "converted_at": an_hour_ago(), "count": 3,
        "external_ref": "RACE-1",
    }  # fmt: skip

    answers = post_all_at_once(secret, BASE, body)

    assert all(isinstance(answer, tuple) for answer in answers), answers
    assert sorted(status for status, _, _ in answers) == [200] * (THREADS - 1) + [201], answers
    assert {data["data"]["id"] for _, data, _ in answers} == {str(Conversion.objects.get().pk)}
    assert [replayed for status, _, replayed in answers if status == 200] == ["true"] * (THREADS - 1)
