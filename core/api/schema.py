"""OpenAPI 3 for the API as it really answers: the ``{"data": ...}`` envelope, error envelopes.

``EnvelopeAutoSchema`` is the project's ``DEFAULT_SCHEMA_CLASS``. It wraps single-object responses of the
canonical viewsets in ``{"data": ...}`` (lists are wrapped by the pagination class), adds the error envelope to
every operation for the statuses it can answer, and documents ``facets`` and the ``Retry-After`` header. Request
bodies of strict serializers declare ``additionalProperties: false`` (an unknown field is a 400), and a query
parameter that is a list is a comma list (``style: form, explode: false``). The API-key security scheme is declared
beside the authentication class (``accounts.authentication``).
"""

import copy

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

from .envelope import DATABASE_RETRY_AFTER, ERROR_TYPES
from .viewsets import REPLAY_HEADER, SEARCH_MAX_LENGTH, StrictSerializerMixin, TenantViewSet

ERROR_COMPONENT = "ErrorEnvelope"
ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`validation_error`): unknown field or query parameter, malformed JSON, a value out of "
    "range, or a reference to an object that does not exist for this key.",
    "401": "No API key, or an invalid or revoked one (`authentication_error`).",
    "403": "The key may not do this (`permission_error`): a read-only key on a write.",
    "404": "No such object for this key (`not_found`); objects of other organizations do not exist for it.",
    "409": "Conflict with an existing object (`conflict`); `existing_id` names it.",
    "429": "Too many requests for this key, or too many failed authentications from this address "
    "(`rate_limited`); retry after `Retry-After` seconds.",
    "503": "The database cannot be reached right now, e.g. while it restarts (`service_unavailable`); retry after "
    f"`Retry-After` seconds (now {DATABASE_RETRY_AFTER}).",
}
RETRY_AFTER_CODES = ("429", "503")
# Keys drf-spectacular adds beside a field's type: kept once, outside a oneOf of its types.
FIELD_META = ("description", "nullable", "readOnly", "writeOnly", "default", "title", "deprecated")


def _error_component_schema() -> dict:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["type", "message", "fields"],
                "properties": {
                    "type": {"type": "string", "enum": sorted({*ERROR_TYPES.values(), "server_error"})},
                    "message": {"type": "string", "description": "A human sentence."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        "description": "What is wrong, per field or query parameter name.",
                    },
                    "existing_id": {
                        "type": "string",
                        "format": "uuid",
                        "nullable": True,
                        "description": "Only with `conflict`: the id of the existing object.",
                    },
                },
            }
        },
    }


class EnvelopeAutoSchema(AutoSchema):
    def _is_canonical_viewset(self) -> bool:
        return isinstance(self.view, TenantViewSet)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        facet_fields = getattr(self.view, "facet_fields", ())
        if self._is_canonical_viewset() and getattr(self.view, "action", None) == "list" and facet_fields:
            parameters = [
                *parameters,
                OpenApiParameter(
                    "facets",
                    {"type": "array", "items": {"type": "string", "enum": list(facet_fields)}, "minItems": 1},
                    style="form",
                    explode=False,
                    description=f"Comma list of fields to count values of over the whole filtered set: "
                    f"{', '.join(facet_fields)}. Any other field, or none, is a 400.",
                ),
            ]
        return parameters

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter.get("in") == "query" and schema.get("type") == "array":
                parameter.setdefault("style", "form")  # a list in the query string is one comma list: a=x,y
                parameter.setdefault("explode", False)
                if not schema.get("minItems"):
                    parameter["allowEmptyValue"] = True  # an empty comma list (`a=`) is no list: no filter
        if not self._is_canonical_viewset():
            return parameters
        for parameter in parameters:
            if parameter.get("in") != "query":
                continue
            if parameter["name"] != "facets":
                parameter["allowEmptyValue"] = True  # `?status=` filters nothing, like no parameter at all
            if parameter["name"] == "ordering":
                fields = list(getattr(self.view, "ordering_fields", ()))
                parameter["description"] = (
                    f"Comma list of fields, `-` for descending; any other field is a 400. Fields: {', '.join(fields)}."
                )
                terms = [term for name in fields for term in (name, "-" + name)]
                parameter["schema"] = {"type": "array", "items": {"type": "string", "enum": terms}}
                parameter.update(style="form", explode=False)
            elif parameter["name"] == "search":
                searched = ", ".join(name.replace("__", ".") for name in getattr(self.view, "search_fields", ()))
                parameter["description"] = (
                    f"Free text (at most {SEARCH_MAX_LENGTH} characters) over: {searched}."
                    if searched
                    else "Accepted like on every list, but this resource has no text to search: it filters nothing."
                )
                parameter["schema"]["maxLength"] = SEARCH_MAX_LENGTH
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_canonical_viewset() and not self._is_list_view():
            for code, response in responses.items():
                if code.startswith("2"):
                    self._wrap_in_data(response)
        error_ref = self._error_component().ref
        for code in self._error_codes():
            if code in responses:
                continue
            responses[code] = {
                "content": {"application/json": {"schema": error_ref}},
                "description": ERROR_DESCRIPTIONS[code],
            }
            if code in RETRY_AFTER_CODES:
                responses[code]["headers"] = {
                    "Retry-After": {"schema": {"type": "integer", "minimum": 0}, "description": "Seconds to wait."}
                }
        return responses

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is not None and self._is_canonical_viewset():
            body["required"] = True  # an empty body is a 400 even where every field is optional (TenantViewSet)
        return body

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, serializers.RelatedField) and field.allow_null:
            # DRF reads "" for a nullable reference as null: the schema says so.
            meta = {key: schema.pop(key) for key in list(schema) if key in FIELD_META}
            blank = {"type": "string", "enum": [""], "description": "Read as null."}
            return {"oneOf": [schema, blank], **meta}
        numeric = not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        if direction == "request" and isinstance(field, serializers.DecimalField) and numeric:
            # An amount is read from a JSON number or a string (docs/api.md): both are in the request schema.
            string_field = copy.copy(field)
            string_field.coerce_to_string = True
            text = super()._map_serializer_field(string_field, direction, bypass_extensions)
            meta = {key: schema.pop(key) for key in list(schema) if key in FIELD_META}
            for key in FIELD_META:
                text.pop(key, None)
            if field.max_whole_digits is not None:
                text["pattern"] = rf"^\d{{1,{field.max_whole_digits}}}(?:\.\d{{1,{field.decimal_places}}})?$"
            schema = {"oneOf": [schema, text], **meta}
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        strict = isinstance(serializer, StrictSerializerMixin) or self._is_canonical_viewset()
        if direction == "request" and strict and "properties" in schema:
            # An unknown body field is a 400 (StrictSerializerMixin; every body of the canonical viewsets uses it).
            schema["additionalProperties"] = False
        return schema

    def _wrap_in_data(self, response: dict) -> None:
        for media in response.get("content", {}).values():
            inner = media["schema"]
            if getattr(self.view, "action", None) == "batch":
                continue  # its response is already {"data": [...], "summary": {...}}
            ref = inner.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1] + "Envelope"
                component = ResolvedComponent(
                    name=name,
                    type=ResolvedComponent.SCHEMA,
                    schema={"type": "object", "required": ["data"], "properties": {"data": inner}},
                    object=name,
                )
                self.registry.register_on_missing(component)
                media["schema"] = component.ref
            else:
                media["schema"] = {"type": "object", "required": ["data"], "properties": {"data": inner}}

    def _error_component(self) -> ResolvedComponent:
        component = ResolvedComponent(
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            schema=_error_component_schema(),
            object=ERROR_COMPONENT,
        )
        self.registry.register_on_missing(component)
        return component

    def _error_codes(self) -> list[str]:
        codes = ["400"]
        if self.view.get_authenticators():
            codes.append("401")
        if self.method not in permissions.SAFE_METHODS:
            codes.append("403")
        if "{" in self.path:
            codes.append("404")
        if getattr(self.view, "action", None) in getattr(self.view, "conflict_actions", ()):
            codes.append("409")
        if self.view.get_throttles():
            codes.append("429")
        codes.append("503")
        return codes


def replayable_create(serializer, *, noun: str, key: str):
    """The schema of a create that deduplicates by ``key``: 201 when stored, 200 with the replay header when the
    same ``noun`` was already stored, 409 when a different one holds the key."""
    return extend_schema(
        responses={
            201: serializer,
            200: OpenApiResponse(
                serializer,
                description=f"Replay: a {noun} with this {key} and the same values exists; nothing was written. "
                f"The response carries the header `{REPLAY_HEADER}: true`.",
            ),
        },
        parameters=[
            OpenApiParameter(
                REPLAY_HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description=f"`true` when this answer replays an existing {noun}.",
            )
        ],
        description=f"Store a {noun}. A `{key}` that already exists is a replay (200) when the payload equals the "
        f"stored {noun}, and a 409 `conflict` naming `existing_id` when it differs.",
    )
