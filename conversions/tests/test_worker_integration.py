"""A real Celery worker on the real broker (Redis in CI) against the real test database.

Deselected unless CELERY_BROKER_URL is a Redis URL (see conftest.py); .ci/run runs them on PostgreSQL + Redis.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from contacts.models import Contact
from conversions.models import Attribution, Conversion
from conversions.services import conversion_create, exchange_rate_set, touchpoint_create
from conversions.tests.factories import DeliveryFactory
from core.models import FollowUp

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 60
VISIBILITY_TIMEOUT_SECONDS = 3


def _database_url() -> str:
    """The URL of the test database this process uses, for the worker subprocess."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_worker(**extra_env) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        **extra_env,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1"]
    command += ["--without-mingle", "--without-gossip", "--loglevel=WARNING"]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


def _stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        worker.send_signal(sig)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for(condition, what: str, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {seconds} s waiting for {what}")


@pytest.fixture
def real_broker():
    """Send tasks to the broker instead of running them in-process; start from an empty queue."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def worker(real_broker):
    process = _start_worker()
    yield process
    _stop(process)


def test_a_worker_reattributes_a_conversion_after_a_late_click(organization, worker):
    contact = Contact.objects.create(organization=organization, email="late@example.com")
    delivery = DeliveryFactory(organization=organization)
    converted_at = timezone.now() - timedelta(hours=1)
    conversion, _ = conversion_create(
        organization=organization, contact=contact, revenue="50.00", converted_at=converted_at
    )
    assert not conversion.attributions.exists()

    touchpoint_create(
        organization=organization,
        contact=contact,
        delivery=delivery,
        kind="click",
        occurred_at=converted_at - timedelta(hours=2),
    )

    _wait_for(lambda: Attribution.objects.filter(conversion=conversion, delivery=delivery).exists(), "re-attribution")
    credit = Attribution.objects.get(conversion=conversion)
    assert credit.weight == 1 and credit.revenue == Decimal("50.00")
    # The worker deletes the follow-up once its task has succeeded (the row named in the message's header).
    _wait_for(lambda: not FollowUp.objects.exists(), "the finished follow-up to be deleted")


def test_a_worker_revalues_conversions_when_a_rate_arrives(organization, worker):
    conversion, _ = conversion_create(organization=organization, currency="CZK", revenue="250.00")
    assert conversion.reference_revenue is None
    exchange_rate_set(currency="CZK", on_date=conversion.converted_date, rate=Decimal("25"))
    _wait_for(
        lambda: Conversion.objects.filter(pk=conversion.pk, reference_revenue=Decimal("10.00")).exists(), "revaluation"
    )


def _bulk_conversions(organization, how_many: int) -> list:
    now = timezone.now() - timedelta(hours=1)
    rows = [
        Conversion(
            organization=organization,
            currency="PLN",
            reference_currency="EUR",
            revenue=Decimal(index % 500) + Decimal("0.99"),
            revenue_without_tax=Decimal(index % 500),
            converted_at=now,
            converted_date=timezone.localdate(now, organization.zone),
        )
        for index in range(how_many)
    ]
    return Conversion.objects.bulk_create(rows, batch_size=1000)


def test_a_worker_killed_mid_task_loses_nothing(organization, real_broker):
    """SIGKILL the worker while a revaluation is half done; the message is redelivered and the result is exact."""
    conversions = _bulk_conversions(organization, 3000)
    slow_chunks = {"REVALUATION_CHUNK_SIZE": "50"}
    first = _start_worker(**slow_chunks)
    try:
        exchange_rate_set(currency="PLN", on_date=conversions[0].converted_date, rate=Decimal("4"))
        revalued = Conversion.objects.filter(reference_revenue__isnull=False)
        _wait_for(lambda: revalued.exists(), "the first committed chunk")
        assert revalued.count() < len(conversions), "the task finished before it could be killed"
    finally:
        _stop(first, signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL

    second = _start_worker(**slow_chunks)
    try:
        _wait_for(lambda: not Conversion.objects.filter(reference_revenue__isnull=True).exists(), "redelivery")
    finally:
        _stop(second)
    for conversion in Conversion.objects.all():
        assert conversion.reference_revenue == (conversion.revenue / 4).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
