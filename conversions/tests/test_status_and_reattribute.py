"""Decisions the admin actions used to make themselves, now in the services: the status of many conversions at
once, and re-attribution on request (inline for a few, background tasks of a fixed size for many)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversions import services
from conversions.models import Conversion, RollupMark
from conversions.services.credit import REATTRIBUTE_INLINE_MAX_CONVERSIONS, REATTRIBUTION_TASK_BATCH


def _conversions(organization, number, prefix="s"):
    start = timezone.now() - timedelta(days=3)
    return [
        services.conversion_create(
            organization=organization,
            revenue=Decimal("5.00"),
            order_id=f"{prefix}-{index}",
            converted_at=start + timedelta(hours=index),
            status="pending",
        )[0]
        for index in range(number)
    ]


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_set_status_changes_every_row_writes_history_and_marks_its_days(organization):
    rows = _conversions(organization, 3)
    RollupMark.objects.all().delete()
    changed = services.conversions_set_status(conversions=Conversion.objects.all(), status="approved")
    assert changed == 3
    assert set(Conversion.objects.values_list("status", flat=True)) == {"approved"}
    for row in rows:
        latest = row.history.order_by("-history_date").first()
        assert (latest.history_type, latest.status) == ("~", "approved")
    assert set(RollupMark.objects.values_list("day", flat=True)) == {row.converted_date for row in rows}


def test_set_status_skips_rows_that_already_have_it(organization):
    _conversions(organization, 2)
    services.conversions_set_status(conversions=Conversion.objects.all(), status="approved")
    assert services.conversions_set_status(conversions=Conversion.objects.all(), status="approved") == 0
    assert Conversion.history.filter(history_type="~").count() == 2


def test_set_status_queries_do_not_grow_with_the_number_of_rows(organization):
    _conversions(organization, 2, "few")
    _conversions(organization, 20, "many")
    few = _queries(
        lambda: services.conversions_set_status(
            conversions=Conversion.objects.filter(order_id__startswith="few-"), status="rejected"
        )
    )
    many = _queries(
        lambda: services.conversions_set_status(
            conversions=Conversion.objects.filter(order_id__startswith="many-"), status="rejected"
        )
    )
    assert many == few


def test_set_status_refuses_an_unknown_status_and_changes_nothing(organization):
    _conversions(organization, 1)
    with pytest.raises(ValidationError):
        services.conversions_set_status(conversions=Conversion.objects.all(), status="lost")
    assert Conversion.objects.get().status == "pending"


def test_reattribution_request_runs_inline_up_to_the_limit(organization, monkeypatch):
    enqueued = []
    monkeypatch.setattr(services.credit, "conversions_reattribute_enqueue", lambda **kw: enqueued.append(kw))
    ids = [f"id-{index}" for index in range(REATTRIBUTE_INLINE_MAX_CONVERSIONS)]
    monkeypatch.setattr(services.credit, "conversions_reattribute", lambda *, conversion_ids: len(conversion_ids))
    assert services.conversions_reattribute_requested(conversion_ids=ids) == (REATTRIBUTE_INLINE_MAX_CONVERSIONS, False)
    assert enqueued == []


def test_reattribution_request_goes_to_the_background_past_the_limit_in_fixed_chunks(organization, monkeypatch):
    sent = []
    monkeypatch.setattr(services.credit, "enqueue_after_commit", lambda task, chunk: sent.append(chunk))
    ids = [f"id-{index}" for index in range(REATTRIBUTE_INLINE_MAX_CONVERSIONS + 1)]
    assert services.conversions_reattribute_requested(conversion_ids=ids) == (len(ids), True)
    assert [len(chunk) for chunk in sent] == [REATTRIBUTION_TASK_BATCH, len(ids) - REATTRIBUTION_TASK_BATCH]
    assert [pk for chunk in sent for pk in chunk] == ids
