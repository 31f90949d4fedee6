"""/api/v1/webhook-endpoints/ and the delivery log /api/v1/webhook-deliveries/: every write calls one service of
``webhooks.services``."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import TenantViewSet
from core.services import ServiceSet

from .. import services
from ..filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .serializers import (
    EmptyBodySerializer,
    SecretRotationSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)


class WebhookEndpointViewSet(TenantViewSet):
    """Webhook endpoints and partner postbacks; the signing secret is shown once, in the create answer (and in
    the answer of a rotation)."""

    bodiless_actions = ("send_test",)

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilterSet
    ordering_fields = ["created_at", "updated_at", "url", "kind", "active"]
    ordering = ["-created_at"]
    search_fields = ["url", "description"]
    facet_fields = ("kind", "active")
    services = ServiceSet(
        create=services.webhook_endpoint_create,
        update=services.webhook_endpoint_update,
        delete=services.webhook_endpoint_delete,
        instance_argument="webhook_endpoint",
    )

    def get_serializer_class(self):
        if self.action == "create":
            return WebhookEndpointWithSecretSerializer
        return super().get_serializer_class()

    @extend_schema(request=SecretRotationSerializer, responses=WebhookEndpointWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, returned in this answer only; the old one keeps signing for ``overlap_seconds``."""
        body = SecretRotationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_secret_rotate(webhook_endpoint=self.get_object(), **body.validated_data)
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context=self.get_serializer_context()).data)

    @extend_schema(request=EmptyBodySerializer, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request, pk=None):
        """Send a ``webhook.test`` event to this endpoint; the answer is its delivery (follow it in the log)."""
        EmptyBodySerializer(data=request.data).is_valid(raise_exception=True)
        delivery = services.webhook_endpoint_send_test(webhook_endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(TenantViewSet):
    """The delivery log: one row per (event, endpoint) with every attempt (status code, latency, body sent);
    kept 30 days."""

    bodiless_actions = ("resend",)

    queryset = WebhookDelivery.objects.select_related("event").prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
    )
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    ordering_fields = ["created_at", "updated_at", "next_attempt_at", "last_attempt_at", "status", "attempts"]
    ordering = ["-created_at"]
    search_fields = ["event__type"]
    facet_fields = ("status",)
    http_method_names = ["get", "post", "head", "options"]

    @property
    def allowed_methods(self):
        """``Allow`` lists POST only on the actions that take it (``resend``), not on the log itself."""
        return [
            method for method in super().allowed_methods if method != "POST" or self.action_map.get("post") == "resend"
        ]

    @extend_schema(exclude=True)
    def create(self, request, *args, **kwargs):  # the log is written by the system only (POST is for its actions)
        return self.http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(request=EmptyBodySerializer, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path="resend")
    def resend(self, request, pk=None):
        """Send this delivery again now; its retry schedule starts over."""
        EmptyBodySerializer(data=request.data).is_valid(raise_exception=True)
        delivery = services.webhook_delivery_resend(webhook_delivery=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
