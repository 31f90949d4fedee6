"""The rollup machinery: drain, rerun, crash, concurrent writes, nightly repair, the command, tasks, schedules."""

import logging
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django_celery_beat.models import PeriodicTask

from conversions.models import RollupMark
from conversions.services import campaign_create, campaign_delete, conversion_update, delivery_create
from conversions.tests.factories import ConversionFactory
from reporting import services, tasks
from reporting.aggregation import Filters
from reporting.models import ConversionRollup, CreditRollup
from reporting.selectors import ReadMode, ReportQuery, conversions_totals

from .conftest import DAY, local

ALL_STATUSES = Filters(statuses=("approved", "pending", "rejected", "refunded"))


def _buckets():
    rows = []
    for model in (ConversionRollup, CreditRollup):
        rows += sorted(
            model.objects.values_list(
                "day", "currency", "country", "type", "status", "rows_number", "conversions_number", "revenue",
                "reference_revenue", "reference_revenue_without_tax",
            ),
            key=str,
        )  # fmt: skip
    return rows


def _totals(organization, mode=ReadMode.AUTO, filters=ALL_STATUSES):
    query = ReportQuery(organization, DAY - timedelta(days=3), DAY + timedelta(days=3), filters)
    return conversions_totals(query, mode=mode)


def _recount_differences(organization):
    return services.rollup_repair(
        organization_id=organization.pk, since=DAY - timedelta(days=3), until=DAY + timedelta(days=3)
    )


@pytest.mark.django_db
def test_drain_folds_marks_and_a_rerun_changes_nothing(organization, dataset):
    assert services.rollup_drain() == 2  # DAY and the next day
    assert not RollupMark.objects.exists()
    first = _buckets()
    assert first and ConversionRollup.objects.filter(day=DAY).count() == 6  # CZK, EUR ×3 statuses, HUF, PLN
    assert services.rollup_drain() == 0
    services.rollup_rebuild_days(organization_id=organization.pk, first=DAY, last=DAY + timedelta(days=1))
    assert _buckets() == first
    assert _recount_differences(organization) == []


@pytest.mark.django_db
def test_drain_is_bounded(organization, dataset):
    assert services.rollup_drain(max_days=1) == 1
    assert list(RollupMark.objects.values_list("day", flat=True).distinct()) == [DAY + timedelta(days=1)]
    assert services.rollup_drain(max_days=1) == 1
    assert not RollupMark.objects.exists()


@pytest.mark.django_db
def test_a_crash_mid_drain_then_a_rerun_gives_the_same_rollups(organization, dataset):
    expected = _totals(organization, mode=ReadMode.RAW)
    real_insert = services.insert_rollup_buckets
    calls = {"count": 0}

    def crash_on_third_insert(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 3:
            raise RuntimeError("worker killed")
        return real_insert(*args, **kwargs)

    crashing = mock.patch.object(services, "insert_rollup_buckets", side_effect=crash_on_third_insert)
    with crashing, pytest.raises(RuntimeError):
        services.rollup_drain()
    # The first day committed; the second rolled back whole and kept its marks.
    assert list(RollupMark.objects.values_list("day", flat=True)) == [DAY + timedelta(days=1)]
    assert _totals(organization) == expected
    services.rollup_drain()
    assert _totals(organization) == expected
    assert _recount_differences(organization) == []


@pytest.mark.django_db
def test_a_write_during_the_rebuild_keeps_its_day_dirty(organization, dataset):
    real_insert = services.insert_rollup_buckets
    state = {"written": False}

    def write_meanwhile(raw_source, **kwargs):
        if not state["written"]:
            state["written"] = True  # a write that commits after the drain read the marks
            ConversionFactory(organization=organization, revenue="1.00", converted_at=local(DAY, 20))
        return real_insert(raw_source, **kwargs)

    with mock.patch.object(services, "insert_rollup_buckets", side_effect=write_meanwhile):
        services.rollup_drain(max_days=1)
    assert RollupMark.objects.filter(day=DAY).count() == 1  # the late write's own mark survived
    assert _totals(organization) == _totals(organization, mode=ReadMode.RAW)
    services.rollup_drain()
    assert not RollupMark.objects.exists()
    assert _recount_differences(organization) == []


@pytest.mark.django_db
def test_repair_fixes_only_mismatching_days_and_logs_them(organization, dataset, caplog):
    services.rollup_drain()
    ConversionRollup.objects.filter(day=DAY, currency="CZK").update(revenue=Decimal("1.00"))
    ConversionRollup.objects.filter(day=DAY + timedelta(days=1)).delete()
    ConversionRollup.objects.create(
        organization=organization, day=DAY - timedelta(days=2), currency="EUR", type="custom", status="approved"
    )
    with caplog.at_level(logging.WARNING, logger="reporting.services"):
        repaired = _recount_differences(organization)
    assert sorted(day for _, day in repaired) == [DAY - timedelta(days=2), DAY, DAY + timedelta(days=1)]
    assert "1 wrong buckets" in caplog.text and "1 missing" in caplog.text and "1 extra" in caplog.text
    assert _recount_differences(organization) == []
    assert _totals(organization) == _totals(organization, mode=ReadMode.RAW)


@pytest.mark.django_db
def test_deleting_a_credited_campaign_removes_its_credit_buckets(organization, dataset):
    campaign = campaign_create(organization=organization, name="Gone")
    delivery = delivery_create(organization=organization, name="Gone send", campaign=campaign)
    conversion_update(conversion=dataset["A"], delivery=delivery)
    services.rollup_drain()
    assert CreditRollup.objects.filter(campaign=campaign).exists()
    campaign_id = campaign.pk
    campaign_delete(campaign=campaign)
    services.rollup_drain()
    assert not CreditRollup.objects.filter(campaign_id=campaign_id).exists()
    assert CreditRollup.objects.get(delivery=delivery).campaign_id is None  # the explicit delivery keeps its credit
    assert _recount_differences(organization) == []


@pytest.mark.django_db
def test_rebuild_aggregates_command(organization, other_organization, dataset):
    ConversionRollup.objects.all().delete()
    RollupMark.objects.all().delete()
    out, err = StringIO(), StringIO()
    call_command("rebuild_aggregates", "--organization", "acme", "--since", "2024-07-01", stdout=out, stderr=err)
    assert "Repaired 2 day(s)" in out.getvalue()
    assert _recount_differences(organization) == []
    call_command("rebuild_aggregates", "--force", stdout=out, stderr=err)
    assert "Rebuilt" in out.getvalue()
    assert _recount_differences(organization) == []
    with pytest.raises(CommandError, match="slug"):
        call_command("rebuild_aggregates", "--organization", "nobody")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rebuild_aggregates", "--since", "July")


@pytest.mark.django_db
def test_tasks_call_the_services_and_retry_transient_errors(organization, dataset):
    assert tasks.rollup_drain_task.delay().get() == 2
    ConversionRollup.objects.filter(day=DAY).delete()
    assert tasks.rollup_repair_task.delay(since=DAY.isoformat(), until=DAY.isoformat()).get() == 1
    assert tasks.rollup_repair_task.delay().get() == 0  # the trailing window of today holds nothing
    assert OperationalError in tasks.rollup_drain_task.autoretry_for
    assert tasks.rollup_repair_task.retry_backoff


@pytest.mark.django_db
def test_default_beat_schedules_exist():
    drain = PeriodicTask.objects.get(task="reporting.tasks.rollup_drain_task")
    assert (drain.interval.every, drain.interval.period) == (10, "seconds")
    nightly = PeriodicTask.objects.get(task="reporting.tasks.rollup_repair_task")
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("3", "15")


@pytest.mark.django_db
def test_marks_are_written_with_the_data(organization):
    conversion = ConversionFactory(organization=organization, converted_at=local(date(2024, 5, 1), 12))
    assert list(RollupMark.objects.values_list("day", flat=True)) == [date(2024, 5, 1)]
    conversion_update(conversion=conversion, converted_at=local(date(2024, 5, 3), 12))
    assert sorted(set(RollupMark.objects.values_list("day", flat=True))) == [date(2024, 5, 1), date(2024, 5, 3)]


@pytest.mark.django_db
def test_repair_leaves_dirty_days_to_the_drain(organization, dataset, caplog):
    services.rollup_drain()
    ConversionFactory(organization=organization, revenue="3.00", converted_at=local(DAY, 7))
    with caplog.at_level(logging.WARNING, logger="reporting.services"):
        assert _recount_differences(organization) == []
    assert "Rollup repair" not in caplog.text
    assert RollupMark.objects.filter(day=DAY).exists()
    assert _totals(organization) == _totals(organization, mode=ReadMode.RAW)
