"""Writes for webhook endpoints, events and deliveries. Every caller (API, admin, tasks, the conversion
services) goes through these functions."""

import json
import logging
import random
from collections.abc import Callable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from core.api.renderers import JSONRenderer
from core.models import FollowUp
from core.outbox import BROKER_ERRORS, follow_ups_dispatch
from core.services import lock_for_update, model_update

from . import signing
from .addresses import url_problems
from .models import (
    EVENT_TYPES,
    TEST_EVENT_TYPE,
    WEBHOOK_DELAY_MAX_SECONDS,
    WEBHOOK_ENDPOINTS_MAX_PER_ORGANIZATION,
    WEBHOOK_REQUEST_BODY_MAX_LENGTH,
    WEBHOOK_URL_MAX_LENGTH,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .sending import OutgoingRequest, event_body, perform, postback_url, template_problems, template_sample

logger = logging.getLogger(__name__)

DELIVERY_TASK = "webhooks.tasks.webhook_delivery_task"
ENDPOINT_WRITABLE_FIELDS = frozenset({"kind", "url", "events", "description", "active", "delay_seconds"})
SECRET_OVERLAP_MAX_SECONDS = 7 * 86400
SECRET_OVERLAP_DEFAULT_SECONDS = 86400
SWEEP_GRACE_SECONDS = 30  # a due delivery this late is handed to the broker again by the sweep
LOG_KEEP_DAYS = 30


# Endpoints


def _endpoint_validate(endpoint: WebhookEndpoint) -> None:
    errors: dict[str, list[str]] = {}
    if endpoint.kind not in WebhookEndpoint.Kind.values:
        errors["kind"] = [f"Not one of {', '.join(WebhookEndpoint.Kind.values)}."]
    url = endpoint.url if isinstance(endpoint.url, str) else ""
    if not url.strip():
        errors["url"] = ["This field is required."]
    elif len(url) > WEBHOOK_URL_MAX_LENGTH:
        errors["url"] = [f"At most {WEBHOOK_URL_MAX_LENGTH} characters (got {len(url)})."]
    elif endpoint.kind == WebhookEndpoint.Kind.POSTBACK:
        problems = template_problems(url) or url_problems(template_sample(url))
        if problems:
            errors["url"] = problems
    elif "{" in url or "}" in url:
        errors["url"] = ["Macros are for postback endpoints; a webhook URL is sent as it is."]
    elif problems := url_problems(url):
        errors["url"] = problems
    events = endpoint.events
    if not isinstance(events, list) or not events or not all(isinstance(name, str) for name in events):
        errors["events"] = [f"A non-empty list of event types among {', '.join(EVENT_TYPES)}."]
    elif unknown := sorted(set(events) - set(EVENT_TYPES)):
        errors["events"] = [f"Unknown event type(s): {', '.join(unknown)}. Allowed: {', '.join(EVENT_TYPES)}."]
    else:
        endpoint.events = [name for name in EVENT_TYPES if name in events]
    delay = endpoint.delay_seconds
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= WEBHOOK_DELAY_MAX_SECONDS:
        errors["delay_seconds"] = [f"An integer of seconds, 0..{WEBHOOK_DELAY_MAX_SECONDS}."]
    if errors:
        raise ValidationError(errors)


def _secret_now(endpoint: WebhookEndpoint) -> None:
    endpoint.secret = signing.secret_text(endpoint.secret_salt)  # shown once, never stored


@transaction.atomic
def webhook_endpoint_create(*, organization: Organization, **fields) -> WebhookEndpoint:
    """Create an endpoint with a new secret; the returned row carries ``secret`` (``whsec_…``) this once.

    At most 20 endpoints per organization: the organization row is locked, so concurrent creates cannot pass it.
    """
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    refused = sorted(set(fields) - ENDPOINT_WRITABLE_FIELDS)
    if refused:
        raise ValidationError({name: ["Unknown field."] for name in refused})
    endpoint = WebhookEndpoint(organization=organization, secret_salt=signing.salt_new(), **fields)
    _endpoint_validate(endpoint)
    if WebhookEndpoint.objects.for_organization(organization).count() >= WEBHOOK_ENDPOINTS_MAX_PER_ORGANIZATION:
        raise ValidationError(
            {"non_field_errors": [f"At most {WEBHOOK_ENDPOINTS_MAX_PER_ORGANIZATION} endpoints per organization."]}
        )
    endpoint.save()
    _secret_now(endpoint)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, webhook_endpoint: WebhookEndpoint, **fields) -> WebhookEndpoint:
    """Change an endpoint. Turning it back on clears why it was disabled and its failure streak."""
    endpoint = lock_for_update(webhook_endpoint)
    was_active = endpoint.active
    model_update(instance=endpoint, fields=ENDPOINT_WRITABLE_FIELDS, data=fields)
    _endpoint_validate(endpoint)
    if endpoint.active and not was_active:
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, webhook_endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log."""
    webhook_endpoint.delete()


@transaction.atomic
def webhook_endpoint_secret_rotate(
    *, webhook_endpoint: WebhookEndpoint, overlap_seconds: int = SECRET_OVERLAP_DEFAULT_SECONDS
) -> WebhookEndpoint:
    """Give an endpoint a new secret (returned once, as ``secret``); the old one keeps signing alongside it for
    ``overlap_seconds`` (0..7 days), so the receiver can switch without missing a message."""
    if isinstance(overlap_seconds, bool) or not isinstance(overlap_seconds, int):
        raise ValidationError({"overlap_seconds": ["An integer of seconds."]})
    if not 0 <= overlap_seconds <= SECRET_OVERLAP_MAX_SECONDS:
        raise ValidationError({"overlap_seconds": [f"0..{SECRET_OVERLAP_MAX_SECONDS} seconds."]})
    endpoint = lock_for_update(webhook_endpoint)
    if overlap_seconds:
        endpoint.previous_secret_salt = endpoint.secret_salt
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(seconds=overlap_seconds)
    else:
        endpoint.previous_secret_salt, endpoint.previous_secret_expires_at = "", None
    endpoint.secret_salt = signing.salt_new()
    endpoint.save(update_fields=["secret_salt", "previous_secret_salt", "previous_secret_expires_at", "updated_at"])
    _secret_now(endpoint)
    return endpoint


def endpoint_signing_secrets(endpoint: WebhookEndpoint, now=None) -> list[bytes]:
    """The secrets that sign now: the current one, and the previous one during a rotation's overlap."""
    now = now or timezone.now()
    secrets = [signing.secret_bytes(endpoint.secret_salt)]
    if (
        endpoint.previous_secret_salt
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        secrets.append(signing.secret_bytes(endpoint.previous_secret_salt))
    return secrets


# Events


def _as_the_api_shows_it(resource: dict) -> dict:
    """The resource through the API's own JSON renderer (amounts as numbers, times in ISO 8601)."""
    return json.loads(JSONRenderer().render(resource))


def _dispatch_after_commit(deliveries: list[WebhookDelivery]) -> None:
    """One outbox row per delivery, written in the caller's transaction and sent once it commits."""
    if not deliveries:
        return
    rows = FollowUp.objects.bulk_create(FollowUp(task=DELIVERY_TASK, args=[str(row.pk)]) for row in deliveries)
    ids = [row.pk for row in rows]
    if any(pk is None for pk in ids):  # a database that does not return ids from a bulk insert
        ids = None
    transaction.on_commit(lambda: follow_ups_dispatch(ids=ids))


def events_record(
    *, organization: Organization, type: str, resources: Callable[[], list[dict]] | list[dict]
) -> list[WebhookEvent]:
    """Record events of one type (one per resource), in the caller's transaction, with a delivery for each
    active endpoint of the organization that subscribes to the type, and hand those deliveries to the outbox.

    ``resources`` may be a callable, called only when some endpoint wants the events: a write that nobody
    listens to costs one query. The resource is the API's representation of the row, built by the caller
    (webhooks sits below the apps whose rows it carries, so it never imports them).
    """
    endpoints = list(
        WebhookEndpoint.objects.for_organization(organization).filter(active=True).only("id", "events", "delay_seconds")
    )
    endpoints = [endpoint for endpoint in endpoints if type in endpoint.events]
    if not endpoints:
        return []
    payloads = resources() if callable(resources) else resources
    with transaction.atomic():
        events = WebhookEvent.objects.bulk_create(
            WebhookEvent(organization=organization, type=type, payload=_as_the_api_shows_it(payload))
            for payload in payloads
        )
        now = timezone.now()
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                organization=organization,
                event=event,
                endpoint=endpoint,
                next_attempt_at=now + timedelta(seconds=endpoint.delay_seconds),
            )
            for event in events
            for endpoint in endpoints
        )
        _dispatch_after_commit(deliveries)
    return events


def event_record(*, organization: Organization, type: str, resource: Callable[[], dict] | dict) -> WebhookEvent | None:
    """Record one event (see ``events_record``); None when no endpoint subscribes to its type."""
    events = events_record(
        organization=organization, type=type, resources=lambda: [resource() if callable(resource) else resource]
    )
    return events[0] if events else None


@transaction.atomic
def webhook_endpoint_send_test(*, webhook_endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``webhook.test`` event to this endpoint alone (whatever it subscribes to, active or not)."""
    event = WebhookEvent.objects.create(
        organization=webhook_endpoint.organization,
        type=TEST_EVENT_TYPE,
        payload={"message": "A test event. Your endpoint is reachable and your signature check can be tried on it."},
    )
    delivery = WebhookDelivery.objects.create(
        organization=webhook_endpoint.organization,
        event=event,
        endpoint=webhook_endpoint,
        next_attempt_at=event.created_at,
    )
    _dispatch_after_commit([delivery])
    return delivery


@transaction.atomic
def webhook_delivery_resend(*, webhook_delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now ("send again"), whatever its state; its retry schedule starts over."""
    delivery = lock_for_update(webhook_delivery)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at, delivery.leased_until = timezone.now(), None
    delivery.save(update_fields=["status", "next_attempt_at", "leased_until", "updated_at"])
    _dispatch_after_commit([delivery])
    return delivery


# Sending


def retry_delay_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: ``base × 2^(attempts−1)``, plus up to 25 % at random (so the gaps
    always grow, and receivers that failed together do not get their retries all at once)."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return base * (1 + random.uniform(0, 0.25))


def _request_for(delivery: WebhookDelivery, now) -> OutgoingRequest:
    endpoint, event = delivery.endpoint, delivery.event
    timestamp = int(now.timestamp())
    message_id = str(event.pk)
    if endpoint.kind == WebhookEndpoint.Kind.POSTBACK:
        method, url, body = "GET", postback_url(endpoint.url, event.type, event.payload), b""
    else:
        method, url = "POST", endpoint.url
        body = event_body(
            event_id=message_id,
            event_type=event.type,
            timestamp=event.created_at.isoformat().replace("+00:00", "Z"),
            payload=event.payload,
        )
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            endpoint_signing_secrets(endpoint, now), message_id, timestamp, body
        ),
        "User-Agent": "conversion-management-webhooks/1",
    }
    if body:
        headers["Content-Type"] = "application/json"
    return OutgoingRequest(method=method, url=url, headers=headers, body=body)


def _schedule(delivery_id: str, seconds: float) -> None:
    """Ask the broker to run the delivery again in ``seconds``. Eager mode (tests) has no delay, so nothing is
    scheduled there; a message the broker loses is found by the sweep (``webhook_deliveries_sweep``)."""
    if current_app.conf.task_always_eager:
        return
    try:
        current_app.tasks[DELIVERY_TASK].apply_async(args=[delivery_id], countdown=max(seconds, 0))
    except BROKER_ERRORS as error:
        logger.warning("Webhook delivery %s not scheduled (%s); the sweep will send it.", delivery_id, error)


def _claim(delivery_id: str):
    """Lock the delivery and lease it for one send. Returns the delivery, or None with the reason handled."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return None, "finished"
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            wait = (delivery.next_attempt_at - now).total_seconds()
            transaction.on_commit(lambda: _schedule(delivery_id, wait))
            return None, "not due"
        if delivery.leased_until and delivery.leased_until > now:
            wait = (delivery.leased_until - now).total_seconds() + 1
            transaction.on_commit(lambda: _schedule(delivery_id, wait))
            return None, "being sent"
        if not delivery.endpoint.active and delivery.event.type != TEST_EVENT_TYPE:
            delivery.status, delivery.last_error = WebhookDelivery.Status.FAILED, "The endpoint is disabled."
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            return None, "endpoint disabled"
        delivery.leased_until = now + timedelta(seconds=settings.WEBHOOK_SEND_LEASE_SECONDS)
        delivery.save(update_fields=["leased_until"])
    return delivery, "claimed"


def _disable(endpoint_id, reason: str, now) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
        active=False, disabled_reason=reason, disabled_at=now, updated_at=now
    )
    logger.warning("Webhook endpoint %s disabled: %s", endpoint_id, reason)


def webhook_delivery_attempt(*, delivery_id: str) -> str:
    """Send one delivery if it is due and nobody else is sending it, and record the attempt.

    2xx: done. 410: the endpoint is disabled. Anything else (other status, timeout, connection error, a URL
    refused by the address rules): tried again after ``retry_delay_seconds``; after ``WEBHOOK_RETRY_PERIOD_SECONDS``
    (3 days) of failures the delivery is given up, and an endpoint failing that long is disabled with the reason.
    Idempotent: a duplicate message finds the delivery finished, not due or leased, and sends nothing.
    """
    delivery, state = _claim(delivery_id)
    if delivery is None:
        return state
    started_at = timezone.now()
    request = _request_for(delivery, started_at)
    outcome = perform(request)
    now = timezone.now()
    period = timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD_SECONDS)
    with transaction.atomic():
        delivery = lock_for_update(delivery)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started_at,
            method=request.method,
            url=request.url,
            request_body=request.body.decode()[:WEBHOOK_REQUEST_BODY_MAX_LENGTH],
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_body=outcome.response_body,
            error=outcome.error,
        )
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        delivery.last_attempt_at, delivery.leased_until = now, None
        if outcome.succeeded:
            delivery.status, delivery.succeeded_at, delivery.next_attempt_at = delivery.Status.SUCCEEDED, now, None
            if endpoint.failing_since:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        elif outcome.status_code == 410:
            delivery.status, delivery.next_attempt_at = delivery.Status.FAILED, None
            _disable(endpoint.pk, f"The endpoint answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC.", now)
        else:
            failing_since = endpoint.failing_since or started_at
            if endpoint.failing_since is None:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=failing_since)
            what = outcome.error or f"HTTP {outcome.status_code}"
            if now - failing_since >= period:
                delivery.status, delivery.next_attempt_at = delivery.Status.FAILED, None
                _disable(
                    endpoint.pk, f"Every attempt failed since {failing_since:%Y-%m-%d %H:%M} UTC; last: {what}", now
                )
            elif now - delivery.event.created_at >= period:
                delivery.status, delivery.next_attempt_at = delivery.Status.FAILED, None
            else:
                deadline = delivery.event.created_at + period
                delivery.next_attempt_at = min(
                    now + timedelta(seconds=retry_delay_seconds(delivery.attempts)), deadline
                )
                wait = (delivery.next_attempt_at - now).total_seconds()
                transaction.on_commit(lambda: _schedule(str(delivery.pk), wait))
        delivery.save()
    return delivery.status


def webhook_deliveries_sweep(*, limit: int = 500) -> int:
    """Beat: hand to the broker, through the outbox, the due deliveries whose scheduled message is late (the
    broker lost it, or was down when the retry was scheduled). A delivery swept is not swept again for a lease
    (``FOLLOW_UP_LEASE_SECONDS``), so a long queue does not pile up copies."""
    now = timezone.now()
    late = now - timedelta(seconds=SWEEP_GRACE_SECONDS)
    lease = now - timedelta(seconds=settings.FOLLOW_UP_LEASE_SECONDS)
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=late)
            .exclude(leased_until__gt=now)
            .exclude(swept_at__gt=lease)
            .order_by("next_attempt_at")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(swept_at=now)
        _dispatch_after_commit(rows)
    return len(rows)


@transaction.atomic
def webhook_log_prune(*, keep_days: int = LOG_KEEP_DAYS) -> int:
    """Delete finished deliveries (and their attempts) older than ``keep_days``, and events left without any
    delivery that old. Returns how many deliveries went."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(status=WebhookDelivery.Status.PENDING)
    deleted = old.count()
    WebhookAttempt.objects.filter(delivery__in=old).delete()
    old.delete()
    WebhookEvent.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deleted
