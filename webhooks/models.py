"""Webhook endpoints, the events recorded for them, and the log of every delivery attempt.

An event is written by the service that changes a conversion or a touchpoint, in that service's own transaction
(``webhooks.services.event_record``), together with one delivery row per subscribed endpoint; each delivery is
handed to the broker through the kernel's outbox (``core.outbox``). So an event exists if and only if its change
committed, and a broker outage delays its deliveries without losing them.
"""

from django.db import models

from accounts.models import TenantModel

WEBHOOK_URL_MAX_LENGTH = 2000
WEBHOOK_ENDPOINTS_MAX_PER_ORGANIZATION = 20
WEBHOOK_DELAY_MAX_SECONDS = 86400
WEBHOOK_DESCRIPTION_MAX_LENGTH = 500
WEBHOOK_REQUEST_BODY_MAX_LENGTH = 65536  # what the log keeps of a body sent
WEBHOOK_RESPONSE_MAX_BYTES = 65536  # what is read of a receiver's answer

# The event types an endpoint may subscribe to; each is recorded by the service that makes the change, in its
# transaction (``conversions.services.events``). ``refund.created``: every ledger entry (a refund, a reversal, the
# refund that setting the status ``refunded`` records).
EVENT_TYPES = (
    "conversion.created",
    "conversion.updated",
    "conversion.deleted",
    "refund.created",
    "touchpoint.created",
)
TEST_EVENT_TYPE = "webhook.test"  # "send a test event": sent to one endpoint whatever it subscribes to


class WebhookEndpoint(TenantModel):
    """Where an organization wants its events: a signed JSON ``POST`` (``webhook``) or a partner postback
    (``postback``, a ``GET`` of a URL template whose macros are filled from the event).

    The signing secret is never stored: the row keeps a random salt and the secret is derived from it and the
    server's ``WEBHOOK_SIGNING_KEY`` (``webhooks.signing``), so a copy of the database alone does not reveal it.
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "webhook (signed JSON POST)"
        POSTBACK = "postback", "postback (GET URL template)"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.CharField(max_length=WEBHOOK_URL_MAX_LENGTH)
    events = models.JSONField(default=list, help_text="Event types sent to this endpoint.")
    description = models.CharField(max_length=WEBHOOK_DESCRIPTION_MAX_LENGTH, blank=True, default="")
    active = models.BooleanField(default=True)
    delay_seconds = models.PositiveIntegerField(default=0, help_text="Wait this long before the first attempt.")
    secret_salt = models.CharField(max_length=64, editable=False)
    previous_secret_salt = models.CharField(max_length=64, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last success; empty while it succeeds."
    )
    disabled_reason = models.TextField(blank=True, default="", help_text="Why the system disabled it.")
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url[:80]


class WebhookEvent(TenantModel):
    """Something that happened, with the resource as the API shows it at that moment. ``id`` is stable: it is
    the ``webhook-id`` of every delivery of the event, so receivers can deduplicate."""

    type = models.CharField(max_length=50, db_index=True)
    payload = models.JSONField(help_text="The resource as the API shows it.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(TenantModel):
    """One event for one endpoint: its state, when it is tried next, and what was last sent and answered."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    leased_until = models.DateTimeField(null=True, blank=True, help_text="A worker is sending it until then.")
    swept_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker by the sweep.")
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_unique")]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as sent and as answered (the delivery log)."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    method = models.CharField(max_length=6)
    url = models.CharField(max_length=WEBHOOK_URL_MAX_LENGTH * 3)
    request_body = models.TextField(blank=True, default="")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error[:40]}"
