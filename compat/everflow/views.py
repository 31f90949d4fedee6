"""The Everflow routes: translate Everflow's request into one ``conversion_create`` call and answer its shape.

Same API keys (in ``X-Eflow-Api-Key``, or the canonical headers), permissions, throttling and error envelope as
``/api/v1/``; success bodies are Everflow's (``{"result": true}``, ``{"timezones": [...]}``), not wrapped.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from conversions.services import conversion_create
from core.api.viewsets import BODY_METHODS, REPLAY_HEADER

from .authentication import EverflowApiKeyAuthentication
from .serializers import (
    EverflowConversionSerializer,
    EverflowResultSerializer,
    EverflowTimezonesSerializer,
    everflow_error_fields,
)
from .timezones import timezones_listing

TAG = "Everflow compatibility"


class EverflowView(APIView):
    """Base: the key in ``X-Eflow-Api-Key`` (or in the canonical headers, which win when both are sent, as
    ``Authorization`` wins over ``X-Api-Key`` on /api/v1/); no query parameters; a write needs a body."""

    authentication_classes = [ApiKeyAuthentication, EverflowApiKeyAuthentication]

    def get_authenticate_header(self, request):
        return EverflowApiKeyAuthentication().authenticate_header(request)  # a 401 names Everflow's header

    @property
    def organization(self):
        return self.request.user.organization

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return  # a method this route does not have: DRF answers 405, whatever the query string or body
        unknown = sorted(request.query_params)
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown query parameter."] for name in unknown})
        if request.method in BODY_METHODS and request.stream is None:
            raise exceptions.ParseError("A JSON object is required: the request body is empty.")


class EverflowConversionReportingView(EverflowView):
    # For the schema: this operation can answer 409 (core.api.schema lists it for conflict actions).
    action = "create"
    conflict_actions = ("create",)

    @extend_schema(
        tags=[TAG],
        operation_id="everflow_networks_conversions_reporting_create",
        summary="Create conversions without transaction ids (Everflow)",
        description=(
            "Everflow's `POST /v1/networks/conversions/reporting`. Stores **one** conversion whose `count` is "
            "`number_of_conversions` (1..50), credited to the campaign whose `external_id` is `offer_id` and the "
            "delivery whose `external_id` is `affiliate_id` (unknown ones: 400). `sale_amount` × count is its "
            "`revenue`, `payout_amount` × count its `payout` (when `is_payout_amount_submitted`), in the "
            "organization's reference currency. `order_id` deduplicates as on `/api/v1/conversions/`: the same "
            "body again answers 200 with `Idempotent-Replayed: true` and stores nothing, a different body with a "
            "known `order_id` is a 409 `conflict` naming `existing_id`. Errors use the API's error envelope."
        ),
        request=EverflowConversionSerializer,
        responses={
            200: OpenApiResponse(
                EverflowResultSerializer,
                description="Recorded, or already recorded with this `order_id` (then with `Idempotent-Replayed`).",
            )
        },
        parameters=[
            OpenApiParameter(
                REPLAY_HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="`true` when the `order_id` was already recorded with the same values.",
            )
        ],
    )
    def post(self, request):
        serializer = EverflowConversionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            _conversion, created = conversion_create(organization=self.organization, **serializer.conversion_fields())
        except DjangoValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            raise exceptions.ValidationError(everflow_error_fields(errors)) from error
        response = Response({"result": True})
        if not created:
            response[REPLAY_HEADER] = "true"
        return response


class EverflowTimezonesView(EverflowView):
    """Public reference data, as Everflow's metadata API declares it (``security: []``): the same table for every
    organization, nothing of any organization in it, so no key is needed (a key sent is not looked at)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=[TAG],
        operation_id="everflow_meta_timezones_list",
        summary="List timezones (Everflow)",
        description=(
            "Everflow's `GET /v1/meta/timezones`: the `timezone_id`s this adapter reads `date` in, each with its "
            "IANA name (`timezone`), a display label and the UTC offset in effect now. Public, as in Everflow's "
            "metadata API: no key is needed."
        ),
        responses={200: EverflowTimezonesSerializer},
    )
    def get(self, request):
        return Response({"timezones": timezones_listing()})
