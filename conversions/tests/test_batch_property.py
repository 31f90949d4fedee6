"""The batch service writes exactly what the single path writes, item by item, on any batch (SQLite and PostgreSQL).

Two twin organizations get the same contacts, campaign, touchpoints and stored conversions; one takes a random
batch through ``conversions_create_batch``, the other the same items one by one through ``conversion_create``.
Their conversions, history rows (fields and actor), credit rows, opening refunds, marked days and per-item answers
must be equal (compared by value, not by id or time of writing).

An invalid item here never shares its order id with a later item: the batch answers a repeat of a refused item
with that item's error, where the single path would judge the repeat on its own.
"""

import uuid
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_history.models import HistoricalRecords

from accounts.services import organization_create
from contacts.models import Contact
from conversions.models import Attribution, Conversion, ExchangeRate, Refund, RollupMark
from conversions.services import conversion_create, conversions_create_batch, touchpoint_create
from conversions.tests.factories import CampaignFactory
from core.exceptions import ConflictError

NOW = timezone.now().replace(microsecond=0) - timedelta(hours=1)
TIMES = (NOW, NOW - timedelta(days=3, hours=5))
STORED = {
    "S1": {"email": "known@example.com", "revenue": "10.00", "currency": "EUR", "converted_at": TIMES[0]},
    "S2": {"revenue": "12.50", "currency": "USD", "converted_at": TIMES[1], "status": "refunded"},
}
INVALID = {"count": {"count": 0}, "currency": {"currency": "ZZZ"}, "metadata": {"metadata": {"": 1}}}
CONVERSION_FIELDS = [
    field.attname
    for field in Conversion._meta.concrete_fields
    if field.attname not in ("id", "organization_id", "created_at", "updated_at", "contact_id", "campaign_id")
]
CREDIT_FIELDS = ["weight", "revenue", "revenue_without_tax", "reference_revenue", "refunded_revenue"]


@st.composite
def batch_items(draw):
    item = {
        "order_id": draw(st.sampled_from(["O1", "O2", "S1", "S2", None])),
        "email": draw(st.sampled_from(["known@example.com", "new@example.com", None])),
        "revenue": draw(st.sampled_from(["10.00", "12.50"])),
        "currency": draw(st.sampled_from(["EUR", "USD", "GBP", None])),
        "converted_at": draw(st.sampled_from(TIMES)),
        "status": draw(st.sampled_from(["approved", "refunded"])),
        "campaign": draw(st.sampled_from([None, "campaign"])),
        "metadata": draw(st.sampled_from([None, {"channel": "shop", "items": 2}])),
    }
    item = {name: value for name, value in item.items() if value is not None or draw(st.booleans())}
    if item.get("metadata", {}) is None:
        del item["metadata"]  # a null metadata fails the NOT NULL column on both paths (not this test's subject)
    invalid = draw(st.sampled_from([None, None, None, *INVALID]))
    if invalid:
        item.update(INVALID[invalid])
        item["order_id"] = draw(st.sampled_from([None, f"BAD-{uuid.uuid4().hex[:8]}"]))
    return item


def _twin(name: str):
    organization = organization_create(slug=f"{name}-{uuid.uuid4().hex[:8]}", name=name, timezone_name="Europe/Prague")
    known = Contact.objects.create(organization=organization, email="known@example.com", country="CZ")
    campaign = CampaignFactory(organization=organization, name="Spring")
    touchpoint_create(
        organization=organization, contact=known, campaign=campaign, kind="click", occurred_at=NOW - timedelta(days=4)
    )
    for order_id, fields in STORED.items():
        conversion_create(organization=organization, order_id=order_id, **fields)
    RollupMark.objects.filter(organization=organization).delete()
    return organization, campaign


def _resolved(item: dict, campaign) -> dict:
    return {**item, "campaign": campaign} if item.get("campaign") else item


def _answer(status: str, conversion=None, error=None):
    if error is None:
        return status, conversion.order_id, conversion.revenue
    keys = sorted(error.message_dict) if isinstance(error, ValidationError) else []
    return status, type(error).__name__, keys


def _written(organization):
    conversions = Conversion.objects.filter(organization=organization)

    def rows(queryset, fields):
        return sorted(repr(row) for row in queryset.values_list(*fields))

    history = Conversion.history.filter(organization_id=organization.pk)
    return {
        "conversions": rows(conversions, [*CONVERSION_FIELDS, "contact__email", "campaign__name"]),
        "history": sorted(
            repr((*row[:-1], row[-1] or ""))
            for row in history.values_list(
                *CONVERSION_FIELDS, "history_type", "history_user_id", "history_api_key", "history_change_reason"
            )
        ),
        "credit": rows(
            Attribution.objects.filter(organization=organization),
            ["conversion__order_id", "conversion__revenue", "campaign__name", *CREDIT_FIELDS],
        ),
        "refunds": rows(
            Refund.objects.filter(organization=organization),
            ["conversion__order_id", "amount", "amount_without_tax", "reason"],
        ),
        "marked_days": sorted(set(RollupMark.objects.filter(organization=organization).values_list("day", flat=True))),
    }


@pytest.fixture
def usd_rate(db):
    ExchangeRate.objects.get_or_create(currency="USD", date=NOW.date() - timedelta(days=30), rate=Decimal("1.1"))


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(batch_items(), min_size=1, max_size=12))
def test_batch_writes_exactly_what_single_creates_write(usd_rate, items):
    HistoricalRecords.context.request = SimpleNamespace(user=None, api_key=SimpleNamespace(name="Shop", prefix="ab12"))
    try:
        batch_organization, batch_campaign = _twin("batch")
        single_organization, single_campaign = _twin("single")
        batch_answers = [
            _answer(outcome.status, outcome.conversion, outcome.error)
            for outcome in conversions_create_batch(
                organization=batch_organization, items=[_resolved(item, batch_campaign) for item in items]
            )
        ]
        single_answers = []
        for item in items:
            try:
                conversion, created = conversion_create(
                    organization=single_organization, **_resolved(item, single_campaign)
                )
                single_answers.append(_answer("created" if created else "duplicate", conversion))
            except (ValidationError, ConflictError) as error:
                single_answers.append(_answer("error", error=error))
    finally:
        del HistoricalRecords.context.request
    assert batch_answers == single_answers
    assert _written(batch_organization) == _written(single_organization)
