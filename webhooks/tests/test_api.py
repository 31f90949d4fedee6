"""/api/v1/webhook-endpoints/: the shared API contract, then the secret shown once, the URL and event rules,
the limits at their edges, rotation, tenancy, and the delivery log."""

import pytest

from core.tests.api_contract import TenantResourceContract, assert_400_on
from webhooks import services
from webhooks.models import WEBHOOK_ENDPOINTS_MAX_PER_ORGANIZATION, WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory

URL = "/api/v1/webhook-endpoints/"


class TestWebhookEndpointsAPI(TenantResourceContract):
    path = URL
    model = WebhookEndpoint
    patch = {"description": "Patched"}
    facet = "kind"
    datetime_filters = ("created_after", "created_before")

    def make(self, organization):
        return WebhookEndpointFactory(organization=organization)

    def create_body(self, organization):
        return {"url": "https://hooks.example.com/new", "events": ["conversion.created"]}

    def put_body(self, organization):
        return {"url": "https://hooks.example.com/put", "events": ["conversion.updated"], "kind": "webhook"}


def _create(api, **body):
    return api.post(
        URL, {"url": "https://hooks.example.com/a", "events": ["conversion.created"], **body}, format="json"
    )


def test_the_secret_is_returned_once_and_never_stored(api, organization):
    response = _create(api)
    assert response.status_code == 201, response.json()
    secret = response.json()["data"]["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    endpoint_id = response.json()["data"]["id"]
    assert "secret" not in api.get(f"{URL}{endpoint_id}/").json()["data"]
    assert "secret" not in api.get(URL).json()["data"][0]
    stored = WebhookEndpoint.objects.filter(pk=endpoint_id).values()[0]
    assert secret not in str(stored) and secret[len("whsec_") :] not in str(stored)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/x", True),
        ("http://hooks.example.com/x", False),
        ("ftp://hooks.example.com/x", False),
        ("https://127.0.0.1/x", False),
        ("https://10.1.2.3/x", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[::1]/x", False),
        ("https://localhost/x", False),
        ("https://user:pass@hooks.example.com/x", False),
        ("https://hooks.example.com/{conversion_id}", False),
        ("not a url", False),
    ],
)
def test_url_rules(api, url, ok):
    response = _create(api, url=url)
    if ok:
        assert response.status_code == 201, response.json()
    else:
        assert_400_on(response, "url")
        assert not WebhookEndpoint.objects.exists()


def test_allowed_hosts_allow_http_and_private_addresses(api, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "10.0.0.0/8", "receiver.internal"]
    for url in ("http://127.0.0.1:8080/hook", "http://10.20.30.40/hook", "http://receiver.internal/hook"):
        assert _create(api, url=url).status_code == 201, url
    assert_400_on(_create(api, url="http://192.168.1.1/hook"), "url")


def test_url_length_at_its_edge(api):
    base = "https://hooks.example.com/"
    assert _create(api, url=base + "a" * (2000 - len(base))).status_code == 201
    assert_400_on(_create(api, url=base + "a" * (2001 - len(base))), "url")
    assert WebhookEndpoint.objects.count() == 1


def test_delay_at_its_edge(api):
    assert _create(api, delay_seconds=86400).status_code == 201
    assert_400_on(_create(api, delay_seconds=86401), "delay_seconds")
    assert_400_on(_create(api, delay_seconds=-1), "delay_seconds")
    assert WebhookEndpoint.objects.count() == 1


def test_twenty_endpoints_per_organization_and_not_one_more(api, organization, other_organization):
    WebhookEndpointFactory.create_batch(WEBHOOK_ENDPOINTS_MAX_PER_ORGANIZATION - 1, organization=organization)
    WebhookEndpointFactory.create_batch(3, organization=other_organization)
    assert _create(api).status_code == 201  # the 20th
    response = _create(api)  # the 21st
    assert response.status_code == 400
    assert "At most 20" in response.json()["error"]["message"]
    assert WebhookEndpoint.objects.filter(organization=organization).count() == 20


@pytest.mark.parametrize("events", [[], ["conversion.exploded"], "conversion.created", [1]])
def test_events_must_be_known_types(api, events):
    assert_400_on(_create(api, events=events), "events")


def test_postback_templates(api):
    ok = _create(
        api,
        kind="postback",
        url="https://partner.example.com/pb?tid={conversion_id}&amount={revenue}&sub={metadata.sub1}",
    )
    assert ok.status_code == 201, ok.json()
    assert_400_on(_create(api, kind="postback", url="https://partner.example.com/pb?x={nope}"), "url")
    assert_400_on(_create(api, kind="postback", url="http://partner.example.com/pb?x={order_id}"), "url")


def test_rotation_returns_a_new_secret(api, organization):
    created = _create(api).json()["data"]
    response = api.post(f"{URL}{created['id']}/rotate-secret/", {"overlap_seconds": 3600}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["secret"] != created["secret"]
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.previous_secret_salt and endpoint.previous_secret_expires_at
    assert_400_on(api.post(f"{URL}{created['id']}/rotate-secret/", {"overlap_seconds": 604801}, format="json"),
                  "overlap_seconds")  # fmt: skip


def test_another_organization_never_sees_or_rotates_an_endpoint(api, other_api):
    created = _create(api).json()["data"]
    assert other_api.get(URL).json()["pagination"]["total"] == 0
    assert other_api.get(f"{URL}{created['id']}/").status_code == 404
    assert other_api.post(f"{URL}{created['id']}/rotate-secret/", {}, format="json").status_code == 404
    assert other_api.post(f"{URL}{created['id']}/test/", {}, format="json").status_code == 404


DELIVERIES = "/api/v1/webhook-deliveries/"


def test_send_a_test_event_and_follow_it_in_the_log(api, organization, receiver, django_capture_on_commit_callbacks):
    endpoint = _create(api, url=receiver.url).json()["data"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{URL}{endpoint['id']}/test/", {}, format="json")
    assert response.status_code == 202, response.json()
    assert len(receiver.requests) == 1
    log = api.get(DELIVERIES, {"endpoint_id": endpoint["id"]}).json()
    assert log["pagination"]["total"] == 1
    row = log["data"][0]
    assert row["event_type"] == "webhook.test" and row["status"] == "succeeded" and row["attempts"] == 1
    attempt = row["attempt_log"][0]
    assert attempt["status_code"] == 200 and attempt["latency_ms"] >= 0 and attempt["method"] == "POST"
    assert attempt["request_body"].encode() == receiver.requests[0].body


def test_send_again(api, organization, receiver, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpoint.objects.get(pk=_create(api, url=receiver.url).json()["data"]["id"])
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{DELIVERIES}{delivery.pk}/resend/", {}, format="json")
    assert response.status_code == 202
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    row = api.get(f"{DELIVERIES}{delivery.pk}/").json()["data"]
    assert row["attempts"] == 2 and [a["number"] for a in row["attempt_log"]] == [1, 2]


def test_the_delivery_log_is_read_only_and_scoped(api, other_api, organization, other_organization):
    endpoint = WebhookEndpointFactory(organization=organization)
    delivery = services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    assert api.delete(f"{DELIVERIES}{delivery.pk}/").status_code == 405
    assert api.patch(f"{DELIVERIES}{delivery.pk}/", {"status": "succeeded"}, format="json").status_code == 405
    assert api.post(DELIVERIES, {}, format="json").status_code == 405
    assert other_api.get(DELIVERIES).json()["pagination"]["total"] == 0
    assert other_api.get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert other_api.post(f"{DELIVERIES}{delivery.pk}/resend/", {}, format="json").status_code == 404
    assert_400_on(api.post(f"{DELIVERIES}{delivery.pk}/resend/", {"now": True}, format="json"), "now")
    assert_400_on(other_api.get(DELIVERIES, {"endpoint_id": str(endpoint.pk)}), "endpoint_id")


def test_the_delivery_log_query_count_does_not_grow(api, organization, django_assert_max_num_queries):
    endpoint = WebhookEndpointFactory(organization=organization)
    services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    with django_assert_max_num_queries(5):  # key, its last use, count, page, attempts (prefetched)
        api.get(DELIVERIES)
    for _ in range(10):
        services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
    with django_assert_max_num_queries(5):
        assert api.get(DELIVERIES).json()["pagination"]["total"] == 11
