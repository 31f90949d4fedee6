"""Events recorded with the change that causes them, and their delivery to a real HTTP receiver on loopback
(tasks run eagerly here; test_webhooks_worker.py does the same with a real worker on Redis).

Here, not in webhooks/tests, because they drive the conversion services, which sit above webhooks."""

import json
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from conversions.services import (
    conversion_create,
    conversion_delete,
    conversion_update,
    conversions_create_batch,
    refund_create,
)
from core.models import FollowUp
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.tests import conftest as webhooks_fixtures
from webhooks.tests.test_signing import verify

pytestmark = pytest.mark.django_db

receiver = webhooks_fixtures.receiver  # the loopback receiver fixture


def _endpoint(organization, url, **fields):
    fields.setdefault("events", ["conversion.created", "conversion.updated", "conversion.deleted"])
    return services.webhook_endpoint_create(organization=organization, url=url, **fields)


def _due_now(delivery_id):
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())


def test_a_conversion_reaches_the_receiver_signed_as_the_api_shows_it(
    api, organization, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(organization, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/conversions/", {"revenue": 12.5, "order_id": "A-1"}, format="json")
    assert response.status_code == 201
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent.method == "POST" and sent.headers["content-type"] == "application/json"
    assert verify(endpoint.secret, sent.headers, sent.body)
    assert not verify(endpoint.secret, sent.headers, sent.body + b" ")
    body = json.loads(sent.body)
    event = WebhookEvent.objects.get()
    assert body["id"] == sent.headers["webhook-id"] == str(event.pk)
    assert body["type"] == "conversion.created"
    assert body["data"] == api.get(f"/api/v1/conversions/{response.json()['data']['id']}/").json()["data"]
    assert abs(int(sent.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 30
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.last_status_code == 200
    assert not FollowUp.objects.exists()


def test_update_delete_and_batch_record_their_events(organization, receiver, django_capture_on_commit_callbacks):
    _endpoint(organization, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        conversion, _ = conversion_create(organization=organization, revenue="10.00")
        conversion_update(conversion=conversion, revenue="11.00")
        conversion_delete(conversion=conversion)
        conversions_create_batch(organization=organization, items=[{"revenue": "1"}, {"revenue": "2"}])
    types = [json.loads(request.body)["type"] for request in receiver.requests]
    assert sorted(types) == sorted(["conversion.created"] * 3 + ["conversion.updated", "conversion.deleted"])
    updated = next(json.loads(r.body) for r in receiver.requests if json.loads(r.body)["type"] == "conversion.updated")
    assert Decimal(str(updated["data"]["revenue"])) == Decimal("11.00")


def test_a_refund_and_the_status_refunded_record_refund_created_as_the_api_shows_it(
    api, organization, receiver, django_capture_on_commit_callbacks
):
    _endpoint(organization, receiver.url, events=["refund.created"])
    with django_capture_on_commit_callbacks(execute=True):
        conversion, _ = conversion_create(organization=organization, revenue="100.00")
        refund, _ = refund_create(organization=organization, conversion=conversion, amount="30.00")
        conversion_update(conversion=conversion, status="refunded")  # records a refund of the 70.00 left
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert [body["type"] for body in bodies] == ["refund.created", "refund.created"]  # no conversion events
    assert bodies[0]["data"] == api.get(f"/api/v1/refunds/{refund.pk}/").json()["data"]
    assert sorted(Decimal(str(body["data"]["amount"])) for body in bodies) == [Decimal("30.00"), Decimal("70.00")]


def test_a_rolled_back_write_records_no_event(organization, receiver):
    _endpoint(organization, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        conversion_create(organization=organization, revenue="10.00")
        raise RuntimeError
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert not FollowUp.objects.exists()


def test_nobody_subscribed_costs_one_query_and_stores_nothing(organization, django_assert_num_queries):
    from webhooks.services import events_record

    with django_assert_num_queries(1):
        events_record(organization=organization, type="conversion.created", resources=lambda: 1 / 0)
    assert not WebhookEvent.objects.exists()


def test_an_endpoint_never_receives_another_organizations_events(
    organization, other_organization, receiver, django_capture_on_commit_callbacks
):
    _endpoint(other_organization, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        conversion_create(organization=organization, revenue="10.00")
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_only_subscribed_and_active_endpoints_get_deliveries(organization, receiver):
    _endpoint(organization, receiver.url, events=["conversion.deleted"])
    _endpoint(organization, receiver.url, active=False)
    wanted = _endpoint(organization, receiver.url, events=["conversion.created"])
    conversion_create(organization=organization, revenue="10.00")
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wanted.pk]


def test_500_twice_then_200_is_three_attempts_with_growing_gaps(
    organization, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.statuses = [500, 500, 200]
    _endpoint(organization, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        conversion_create(organization=organization, revenue="10.00")
    delivery = WebhookDelivery.objects.get()
    gaps = []
    for _ in range(2):
        delivery.refresh_from_db()
        assert delivery.status == "pending"
        gaps.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        assert services.webhook_delivery_attempt(delivery_id=str(delivery.pk)) == "not due"
        _due_now(delivery.pk)
        services.webhook_delivery_attempt(delivery_id=str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 3 and len(receiver.requests) == 3
    assert 30 <= gaps[0] <= 37.5 and 60 <= gaps[1] <= 75
    assert [a.status_code for a in WebhookAttempt.objects.order_by("number")] == [500, 500, 200]
    assert services.webhook_delivery_attempt(delivery_id=str(delivery.pk)) == "finished"  # a duplicate message
    assert len(receiver.requests) == 3
    assert WebhookEndpoint.objects.get().failing_since is None


def test_410_disables_the_endpoint(organization, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [410]
    endpoint = _endpoint(organization, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        conversion_create(organization=organization, revenue="10.00")
        conversion_create(organization=organization, revenue="11.00")
    endpoint.refresh_from_db()
    assert not endpoint.active and "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1  # the second delivery found the endpoint disabled
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}


def test_an_endpoint_failing_for_three_days_is_disabled_with_the_reason(organization, receiver):
    receiver.statuses = [503]
    endpoint = _endpoint(organization, receiver.url)
    conversion_create(organization=organization, revenue="10.00")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=3, seconds=1))
    delivery = WebhookDelivery.objects.get()
    assert services.webhook_delivery_attempt(delivery_id=str(delivery.pk)) == "failed"
    endpoint.refresh_from_db()
    assert not endpoint.active and "HTTP 503" in endpoint.disabled_reason and "failed since" in endpoint.disabled_reason


def test_a_delivery_is_given_up_after_three_days(organization, receiver):
    receiver.statuses = [500]
    _endpoint(organization, receiver.url)
    conversion_create(organization=organization, revenue="10.00")
    WebhookEvent.objects.update(created_at=timezone.now() - timedelta(days=3))
    delivery = WebhookDelivery.objects.get()
    assert services.webhook_delivery_attempt(delivery_id=str(delivery.pk)) == "failed"


def test_the_retry_schedule_doubles_and_stops_at_three_days(settings, monkeypatch):
    monkeypatch.setattr(services.random, "uniform", lambda low, high: 0)
    assert [services.retry_delay_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_a_url_resolving_to_loopback_is_refused_at_send_time(
    organization, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(organization, "https://hooks.example.com/hook")
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1", *args, **kwargs) if host == "hooks.example.com" else real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with django_capture_on_commit_callbacks(execute=True):
        conversion_create(organization=organization, revenue="10.00")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "resolves to 127.0.0.1" in delivery.last_error
    assert receiver.requests == []


def test_an_allowed_loopback_address_is_reached(organization, receiver):
    assert services.webhook_endpoint_send_test(webhook_endpoint=_endpoint(organization, receiver.url))
    # (eager outside a captured commit: the test transaction never commits, so send explicitly)
    services.webhook_delivery_attempt(delivery_id=str(WebhookDelivery.objects.get().pk))
    assert json.loads(receiver.requests[0].body)["type"] == "webhook.test"


def test_during_a_rotation_both_secrets_sign(organization, receiver):
    endpoint = _endpoint(organization, receiver.url)
    old = endpoint.secret
    new = services.webhook_endpoint_secret_rotate(webhook_endpoint=endpoint, overlap_seconds=3600).secret
    delivery = services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    services.webhook_delivery_attempt(delivery_id=str(delivery.pk))
    sent = receiver.requests[0]
    assert len(sent.headers["webhook-signature"].split()) == 2
    assert verify(old, sent.headers, sent.body) and verify(new, sent.headers, sent.body)
    services.webhook_endpoint_secret_rotate(webhook_endpoint=endpoint, overlap_seconds=0)
    services.webhook_delivery_resend(webhook_delivery=delivery)
    services.webhook_delivery_attempt(delivery_id=str(delivery.pk))
    assert not verify(new, receiver.requests[1].headers, receiver.requests[1].body)


def test_postback_fills_url_encoded_macros_after_its_delay(organization, receiver):
    template = (
        receiver.url + "?tid={conversion_id}&o={order_id}&amount={revenue}&cur={currency}&n={count}&s={status}"
        "&c={campaign_id}&d={delivery_id}&x={external_id}&cp={coupon_code}&m={metadata.sub 1}"
    )
    endpoint = _endpoint(organization, template, kind="postback", delay_seconds=60)
    conversion, _ = conversion_create(
        organization=organization, revenue="12.50", currency="CZK", order_id="A&B 1", coupon_code="SUMMER/10",
        metadata={"sub 1": "a=b&c"},
    )  # fmt: skip
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert 59 <= (delivery.next_attempt_at - timezone.now()).total_seconds() <= 60
    assert services.webhook_delivery_attempt(delivery_id=str(delivery.pk)) == "not due"
    _due_now(delivery.pk)
    services.webhook_delivery_attempt(delivery_id=str(delivery.pk))
    sent = receiver.requests[0]
    assert sent.method == "GET"
    assert sent.path == (
        f"/hook?tid={conversion.pk}&o=A%26B%201&amount=12.5&cur=CZK&n=1&s=approved&c=&d=&x=&cp=SUMMER%2F10&m=a%3Db%26c"
    )


def test_the_log_is_pruned_after_30_days(organization, receiver):
    endpoint = _endpoint(organization, receiver.url)
    old = services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    services.webhook_delivery_attempt(delivery_id=str(old.pk))
    recent = services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30, seconds=1))
    WebhookEvent.objects.filter(pk=old.event_id).update(created_at=timezone.now() - timedelta(days=31))
    assert services.webhook_log_prune() == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not WebhookAttempt.objects.exists() and WebhookEvent.objects.count() == 1


def test_the_sweep_sends_late_deliveries_once(organization, receiver, django_capture_on_commit_callbacks):
    endpoint = _endpoint(organization, receiver.url)
    delivery = services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    FollowUp.objects.all().delete()  # as if the broker lost the message
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhook_deliveries_sweep() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhook_deliveries_sweep() == 0
    assert len(receiver.requests) == 1
