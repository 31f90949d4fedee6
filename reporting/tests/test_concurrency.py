"""Drains racing each other and racing writers never double-count a day (real transactions, real threads)."""

import contextlib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection

from conversions.models import RollupMark
from conversions.tests.factories import ConversionFactory
from reporting import services
from reporting.aggregation import Filters
from reporting.selectors import ReadMode, ReportQuery, conversions_totals

from .conftest import DAY, local


@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_and_writes_leave_exact_rollups(organization):
    errors = []
    barrier = threading.Barrier(4)

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    def write(offset: int):
        for index in range(6):
            day = DAY + timedelta(days=index % 2)
            ConversionFactory(organization=organization, revenue=f"{offset + index}.00", converted_at=local(day, 12))

    def drain():
        for _ in range(6):
            services.rollup_drain()

    threads = [
        threading.Thread(target=run, args=(work,)) for work in (lambda: write(10), lambda: write(20), drain, drain)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    query = ReportQuery(organization, DAY, DAY + timedelta(days=1), Filters(statuses=("approved",)))
    assert conversions_totals(query) == conversions_totals(query, mode=ReadMode.RAW)
    services.rollup_drain()
    assert not RollupMark.objects.exists()
    assert services.rollup_repair(organization_id=organization.pk, since=DAY, until=DAY + timedelta(days=1)) == []
    totals = conversions_totals(query)
    assert totals == conversions_totals(query, mode=ReadMode.RAW)
    assert totals.number == 12


@pytest.mark.django_db(transaction=True)
def test_two_drains_of_the_same_day_are_serialized(organization):
    """Both drains try to rebuild DAY at the same moment: the day lock makes the second wait and find no marks."""
    ConversionFactory(organization=organization, revenue="5.00", converted_at=local(DAY, 9))
    ConversionFactory(organization=organization, revenue="7.00", converted_at=local(DAY, 10))
    inside = threading.Barrier(2)
    real_replace = services._replace_buckets
    errors, folded = [], []

    def replace_when_both_are_inside(*args):
        with contextlib.suppress(threading.BrokenBarrierError):
            inside.wait(timeout=1)  # without the lock both get here together; with it, the second never does
        real_replace(*args)

    def drain():
        try:
            folded.append(services.rollup_drain())
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    with mock.patch.object(services, "_replace_buckets", side_effect=replace_when_both_are_inside):
        threads = [threading.Thread(target=drain) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(folded) == [0, 1]
    assert services.rollup_repair(organization_id=organization.pk, since=DAY, until=DAY) == []
