"""Admin of webhooks: an endpoint added through the service (the secret shown once), scoped lists, the delivery
log with its attempts, and the "send a test event" / "send again" actions."""

import pytest
from django.urls import reverse

from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory

ENDPOINTS = reverse("admin:webhooks_webhookendpoint_changelist")
DELIVERIES = reverse("admin:webhooks_webhookdelivery_changelist")

pytestmark = pytest.mark.django_db


def _add(admin_client, organization, **fields):
    data = {
        "organization": str(organization.pk), "kind": "webhook", "url": "https://hooks.example.com/a",
        "events": ["conversion.created"], "description": "", "active": "on", "delay_seconds": "0", **fields,
    }  # fmt: skip
    return admin_client.post(reverse("admin:webhooks_webhookendpoint_add"), data, follow=True)


def test_staff_add_an_endpoint_and_see_its_secret_once(admin_a, organization):
    response = _add(admin_a, organization)
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    messages = [str(message) for message in response.context["messages"]]
    assert any("whsec_" in message for message in messages)
    assert endpoint.events == ["conversion.created"]


def test_the_admin_form_shows_the_service_rules(admin_a, organization):
    response = _add(admin_a, organization, url="http://hooks.example.com/a", delay_seconds="86401")
    assert not WebhookEndpoint.objects.exists()
    assert "Must use https" in response.content.decode()


def test_lists_are_scoped_and_show_why_an_endpoint_was_disabled(admin_a, organization, other_organization):
    mine = WebhookEndpointFactory(organization=organization, active=False, disabled_reason="answered 410 Gone")
    WebhookEndpointFactory(organization=other_organization, url="https://other.example.com/x")
    page = admin_a.get(ENDPOINTS).content.decode()
    assert mine.url in page and "answered 410 Gone" in page and "other.example.com" not in page
    services.webhook_endpoint_send_test(webhook_endpoint=mine)
    assert admin_a.get(DELIVERIES).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert admin_a.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])).status_code == 200


def test_actions_send_a_test_event_and_send_again(admin_a, organization, receiver, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(organization=organization, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        admin_a.post(ENDPOINTS, {"action": "send_test_event", "_selected_action": [str(endpoint.pk)]})
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_a.post(DELIVERIES, {"action": "send_again", "_selected_action": [str(delivery.pk)]})
    assert len(receiver.requests) == 2
