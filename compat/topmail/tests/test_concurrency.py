"""Simultaneous identical Topmail POSTs make exactly one row, like on /api/v1/ (real transactions, threads)."""

import pytest

from accounts.services import api_key_create, organization_create
from contacts.models import Contact
from conversions.models import Conversion
from conversions.tests.test_api_concurrency import THREADS, _post_all_at_once

from .conftest import URL


@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_topmail_posts_make_one_conversion():
    organization = organization_create(slug="race", name="Race", reference_currency="EUR", timezone_name="UTC")
    secret = api_key_create(organization=organization, name="racer")[1]
    body = {"order_id": "order-789", "email": "Customer@Example.com", "revenue": 149.99, "type": "purchase"}

    answers = _post_all_at_once(secret, URL, body)

    assert all(isinstance(answer, tuple) for answer in answers), answers
    assert sorted(status for status, _, _ in answers) == [200] * (THREADS - 1) + [201], answers
    assert {data["data"]["id"] for _, data, _ in answers} == {str(Conversion.objects.get().pk)}
    assert [replayed for status, _, replayed in answers if status == 200] == ["true"] * (THREADS - 1)
    assert Contact.objects.count() == 1
