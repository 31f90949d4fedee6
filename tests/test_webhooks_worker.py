"""Webhooks with a real Celery worker on Redis against a real HTTP receiver on loopback (integration marker:
deselected unless CELERY_BROKER_URL is a Redis URL; see conftest.py)."""

import json
import signal
import time

import pytest

from conversions.services import conversion_create
from conversions.tests.test_worker_integration import (
    _start_worker,
    _stop,
    _wait_for,
    real_broker,  # noqa: F401 - fixture
)
from core.models import FollowUp
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.receiver import start_receiver
from webhooks.tests.test_signing import verify

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_RETRY_BASE_SECONDS": "1"}


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receivers = []

    def start(statuses=None, **kwargs):
        receivers.append(start_receiver(statuses, **kwargs))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def webhook_worker(real_broker):  # noqa: F811
    process = _start_worker(**WORKER_ENV)
    yield process
    _stop(process)


def _endpoint(organization, url):
    return services.webhook_endpoint_create(organization=organization, url=url, events=["conversion.created"])


def test_500_twice_then_200_arrives_exactly_three_times_with_growing_gaps(organization, loopback, webhook_worker):
    receiver = loopback([500, 500, 200])
    endpoint = _endpoint(organization, receiver.url)
    conversion_create(organization=organization, revenue="10.00")
    delivery = WebhookDelivery.objects.get()
    _wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="succeeded").exists(), "3 attempts")
    time.sleep(2)  # nothing more arrives
    assert len(receiver.requests) == 3
    first, second, third = (request.at for request in receiver.requests)
    assert 1 <= second - first < third - second
    for request in receiver.requests:
        assert verify(endpoint.secret, request.headers, request.body)
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1
    _wait_for(lambda: not FollowUp.objects.exists(), "the outbox to be empty")


def test_410_disables_the_endpoint(organization, loopback, webhook_worker):
    receiver = loopback([410])
    endpoint = _endpoint(organization, receiver.url)
    conversion_create(organization=organization, revenue="10.00")
    _wait_for(lambda: not WebhookEndpoint.objects.get(pk=endpoint.pk).active, "the endpoint to be disabled")
    assert len(receiver.requests) == 1
    assert "410" in WebhookEndpoint.objects.get(pk=endpoint.pk).disabled_reason


def test_loopback_is_refused_by_a_worker_that_does_not_allow_it(organization, loopback, real_broker):  # noqa: F811
    receiver = loopback()
    _endpoint(organization, receiver.url)  # saved while allowed here; the worker's environment does not allow it
    worker = _start_worker(WEBHOOK_ALLOWED_HOSTS="", WEBHOOK_RETRY_BASE_SECONDS="1")
    try:
        conversion_create(organization=organization, revenue="10.00")
        _wait_for(lambda: WebhookDelivery.objects.filter(attempts__gte=1).exists(), "an attempt")
    finally:
        _stop(worker)
    delivery = WebhookDelivery.objects.get()
    assert "127.0.0.1" in delivery.last_error and "not allowed" in delivery.last_error
    assert receiver.requests == []


def test_a_worker_killed_mid_delivery_still_delivers(organization, loopback, real_broker):  # noqa: F811
    receiver = loopback([200], first_answer_delay_seconds=30)
    _endpoint(organization, receiver.url)
    env = {**WORKER_ENV, "WEBHOOK_SEND_LEASE_SECONDS": "12"}
    first = _start_worker(**env)
    try:
        conversion_create(organization=organization, revenue="10.00")
        _wait_for(lambda: len(receiver.requests) == 1, "the first request")
    finally:
        _stop(first, signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL
    second = _start_worker(**env)
    try:
        _wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").exists(), "redelivery", seconds=90)
    finally:
        _stop(second)
    assert len(receiver.requests) == 2
    assert json.loads(receiver.requests[0].body) == json.loads(receiver.requests[1].body)
