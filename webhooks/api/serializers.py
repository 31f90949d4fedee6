from rest_framework import serializers

from core.api.viewsets import StrictSerializerMixin, TenantModelSerializer

from ..models import (
    EVENT_TYPES,
    WEBHOOK_DELAY_MAX_SECONDS,
    WEBHOOK_DESCRIPTION_MAX_LENGTH,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..services import SECRET_OVERLAP_DEFAULT_SECONDS, SECRET_OVERLAP_MAX_SECONDS


class WebhookEndpointSerializer(TenantModelSerializer):
    # Lengths and the URL rules are the service's (the admin shares them); the serializer checks shape only.
    url = serializers.CharField(
        trim_whitespace=False,
        help_text="https URL (http only for hosts in WEBHOOK_ALLOWED_HOSTS), ≤ 2000 characters; for a postback a "
        "GET URL template with macros such as {conversion_id}, {revenue}, {metadata.KEY}.",
    )
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False)
    description = serializers.CharField(max_length=WEBHOOK_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    delay_seconds = serializers.IntegerField(min_value=0, max_value=WEBHOOK_DELAY_MAX_SECONDS, required=False)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "kind", "url", "events", "description", "active", "delay_seconds", "failing_since",
            "disabled_reason", "disabled_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "failing_since", "disabled_reason", "disabled_at", "created_at", "updated_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="whsec_<base64>: shown in this answer only; keep it to verify signatures."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class SecretRotationSerializer(StrictSerializerMixin, serializers.Serializer):
    overlap_seconds = serializers.IntegerField(
        min_value=0,
        max_value=SECRET_OVERLAP_MAX_SECONDS,
        default=SECRET_OVERLAP_DEFAULT_SECONDS,
        help_text="How long the old secret keeps signing next to the new one.",
    )


class EmptyBodySerializer(StrictSerializerMixin, serializers.Serializer):
    """An action that takes no input: its body is ``{}`` (any field is refused)."""


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number", "started_at", "method", "url", "request_body", "status_code", "latency_ms", "response_body",
            "error",
        ]  # fmt: skip


class WebhookDeliverySerializer(serializers.ModelSerializer):
    endpoint_id = serializers.UUIDField(read_only=True)
    event_id = serializers.UUIDField(read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint_id", "event_id", "event_type", "status", "attempts", "next_attempt_at",
            "last_attempt_at", "last_status_code", "last_error", "succeeded_at", "attempt_log", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
