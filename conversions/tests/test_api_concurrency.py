"""Simultaneous identical POSTs make exactly one row, on SQLite and on PostgreSQL (real transactions, threads)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import api_key_create, organization_create
from contacts.models import Contact
from conversions.models import Conversion
from core.tests.concurrency import requests_at_once

THREADS = 8


def _post_all_at_once(secret: str, url: str, body: dict) -> list:
    return requests_at_once(secret, "post", url, [body] * THREADS)


@pytest.fixture
def secret(transactional_db):
    organization = organization_create(slug="race", name="Race", reference_currency="EUR", timezone_name="UTC")
    return api_key_create(organization=organization, name="racer")[1]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_posts_make_one_conversion(secret):
    body = {"order_id": "RACE-1", "email": "Racer@Example.com", "revenue": 149.99, "currency": "EUR"}
    answers = _post_all_at_once(secret, "/api/v1/conversions/", body)

    assert all(isinstance(answer, tuple) for answer in answers), answers
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * (THREADS - 1) + [201], answers
    assert {data["data"]["id"] for _, data, _ in answers} == {str(Conversion.objects.get().pk)}
    assert [replayed for status, _, replayed in answers if status == 200] == ["true"] * (THREADS - 1)
    assert Conversion.objects.count() == 1
    assert Contact.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_batches_make_one_row_per_order(secret):
    items = [{"order_id": f"B-{index}", "revenue": "1.00", "email": f"p{index}@example.com"} for index in range(5)]
    answers = _post_all_at_once(secret, "/api/v1/conversions/batch/", {"conversions": items})

    assert all(isinstance(answer, tuple) and answer[0] == 200 for answer in answers), answers
    summaries = [data["summary"] for _, data, _ in answers]
    assert sum(summary["created"] for summary in summaries) == 5
    assert sum(summary["duplicates"] for summary in summaries) == 5 * (THREADS - 1)
    assert sum(summary["errors"] for summary in summaries) == 0
    assert Conversion.objects.count() == 5
    assert Contact.objects.count() == 5


def _patch_all_at_once(secret: str, url: str, bodies: list[dict]) -> list:
    """The status code of each PATCH (or the exception its thread met)."""
    return [
        answer[0] if isinstance(answer, tuple) else answer for answer in requests_at_once(secret, "patch", url, bodies)
    ]


# Each PATCH changes a different field; every one of them must be in the row afterwards.
DIFFERENT_FIELDS = [
    {"status": "pending"},
    {"revenue": 250.0},
    {"coupon_code": "RACE10"},
    {"notes": "checked by hand"},
    {"origin": "app"},
    {"count": 3},
    {"payout": 7.5},
    {"type": "upgrade"},
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_different_fields_all_survive(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    created = client.post("/api/v1/conversions/", {"revenue": "100.00", "order_id": "LOST-1"}, format="json")
    url = f"/api/v1/conversions/{created.json()['data']['id']}/"

    answers = _patch_all_at_once(secret, url, DIFFERENT_FIELDS)

    assert answers == [200] * len(DIFFERENT_FIELDS), answers
    stored = client.get(url).json()["data"]
    for body in DIFFERENT_FIELDS:
        for name, value in body.items():
            assert str(stored[name]) == str(value), (name, stored[name])
    assert stored["revenue_without_tax"] == 250.0  # it followed the revenue, as a single PATCH would
    assert sum(float(credit["revenue"]) for credit in stored["attributions"]) in (0, 250.0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_sharing_half_their_order_ids_keep_one_row_per_order(secret):
    shared = [{"order_id": f"S-{index}", "revenue": "2.00"} for index in range(20)]
    batches = [
        {"conversions": shared + [{"order_id": f"A-{index}", "revenue": "1.00"} for index in range(20)]},
        {"conversions": [{"order_id": f"B-{index}", "revenue": "1.00"} for index in range(20)] + shared},
    ]
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def worker(index: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        try:
            barrier.wait(timeout=10)
            answers[index] = client.post("/api/v1/conversions/batch/", batches[index], format="json").json()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(answer, dict) for answer in answers), answers
    assert Conversion.objects.count() == 60
    assert sorted(Conversion.objects.values_list("order_id", flat=True)) == sorted(
        [f"S-{i}" for i in range(20)] + [f"A-{i}" for i in range(20)] + [f"B-{i}" for i in range(20)]
    )
    by_order = {}
    for batch, answer in zip(batches, answers, strict=True):
        for item, result in zip(batch["conversions"], answer["data"], strict=True):
            by_order.setdefault(item["order_id"], []).append(result)
    for index in range(20):
        statuses = sorted(result["status"] for result in by_order[f"S-{index}"])
        assert statuses == ["created", "duplicate"], by_order[f"S-{index}"]
        assert len({result["id"] for result in by_order[f"S-{index}"]}) == 1
    assert sum(answer["summary"]["created"] for answer in answers) == 60
    assert sum(answer["summary"]["errors"] for answer in answers) == 0


@pytest.mark.django_db(transaction=True)
def test_racing_batches_sharing_ids_in_opposite_orders_neither_deadlock_nor_double_write():
    """The set-based INSERT takes its rows in order-id order, so two batches that share ids listed in opposite
    orders wait for each other on the unique index in the same order: no deadlock, one row (and one history row)
    per order id, each shared id created by one batch and a replay for the other."""
    from conversions.services import conversions_create_batch

    organization = organization_create(slug="race-order", name="Race order")
    shared = [
        {"order_id": f"S-{index:03}", "revenue": "2.00", "email": f"c{index}@example.com"} for index in range(200)
    ]
    batches = [shared, list(reversed(shared))]
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            answers[index] = [
                outcome.status for outcome in conversions_create_batch(organization=organization, items=batches[index])
            ]
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(answer, list) for answer in answers), answers
    assert Conversion.objects.filter(organization=organization).count() == 200
    assert Conversion.history.filter(organization_id=organization.pk, history_type="+").count() == 200
    assert Contact.objects.filter(organization=organization).count() == 200
    by_order = {item["order_id"]: [] for item in shared}
    for batch, statuses in zip(batches, answers, strict=True):
        for item, status in zip(batch, statuses, strict=True):
            by_order[item["order_id"]].append(status)
    assert all(sorted(statuses) == ["created", "duplicate"] for statuses in by_order.values()), by_order
