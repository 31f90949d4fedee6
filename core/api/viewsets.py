"""The base of every API viewset and serializer: tenant scoping, the envelope, strict input.

Scoping happens here once: ``get_queryset`` restricts to the organization of the API key, so no viewset
filters by organization by hand, and an object of another organization is a 404.
"""

from django.db import models
from django.db.models import Count
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, serializers, viewsets

from ..services import ServiceSet
from .envelope import EnvelopePagination
from .fields import DateTimeField

SEARCH_MAX_LENGTH = 200
REPLAY_HEADER = "Idempotent-Replayed"  # on a 200 that answers a repeated create with the stored row
LIST_PARAMETERS = frozenset({"limit", "offset", "ordering", "search", "facets"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class StrictOrderingFilter(filters.OrderingFilter):
    """``ordering=a,-b`` over the view's whitelist; an unknown field is a 400 instead of being ignored."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        allowed = set(getattr(view, "ordering_fields", ()))
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        unknown = [term for term in terms if term.lstrip("-") not in allowed]
        if unknown or not terms:
            raise exceptions.ValidationError(
                {"ordering": [f"Unknown ordering field(s): {', '.join(unknown) or raw}. Allowed: {sorted(allowed)}."]}
            )
        return terms + ["pk"]


class BoundedSearchFilter(filters.SearchFilter):
    """Free-text ``search`` over the view's ``search_fields``, at most 200 characters."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        if len(value) > SEARCH_MAX_LENGTH:
            raise exceptions.ValidationError({"search": [f"At most {SEARCH_MAX_LENGTH} characters."]})
        return super().get_search_terms(request)


# Fields whose JSON value is a string (DRF would also take a number and turn it into one).
STRING_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.UUIDField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.TimeField,
)


def json_type_error(field: serializers.Field, value) -> str | None:
    """Why a JSON value has the wrong type for this field, or None. DRF would coerce it (``"name": 0`` to ``"0"``,
    ``"count": "2"`` to 2); the API takes what its schema says: strings for text, codes, choices, ids and times,
    numbers for integers, ``true``/``false`` for booleans. Amounts take a number or a string (docs/api.md)."""
    if value is None or field.read_only:
        return None  # null is the field's own rule (allow_null)
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.IntegerField):
        return "A valid integer is required." if isinstance(value, str) else None
    text = isinstance(field, STRING_FIELDS) and not isinstance(field, serializers.MultipleChoiceField)
    uuid_reference = isinstance(field, serializers.PrimaryKeyRelatedField) and isinstance(
        field.pk_field, serializers.UUIDField
    )
    if (text or uuid_reference) and not isinstance(value, str):
        return "Not a valid string."
    return None


class StrictSerializerMixin:
    """Refuse body fields the serializer does not know (``organization`` included: it comes from the key), and
    values of another JSON type than the field's (``json_type_error``)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown field."] for name in unknown})
        wrong_types = {name: json_type_error(self.fields[name], value) for name, value in data.items()}
        if any(wrong_types.values()):
            raise exceptions.ValidationError({name: [error] for name, error in wrong_types.items() if error})
        return super().to_internal_value(data)


class TenantModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """A model serializer whose related fields only offer rows of the caller's organization."""

    # Its date-times refuse a UTC offset PostgreSQL cannot store (core.api.fields.DateTimeField).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        # Without an API key (schema generation) no organization's rows are offered at all.
        organization = getattr(getattr(request, "user", None), "organization", None)
        for field in fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "for_organization"):
                field.queryset = queryset.for_organization(organization) if organization else queryset.none()
        return fields


def facet_counts(queryset, names) -> dict[str, dict[str, int]]:
    """For each field (or annotation) name, the number of rows per value over the whole queryset, most frequent
    first; an empty value (``None``) is counted under ``""``. One GROUP BY query per name, whatever the rows."""
    result = {}
    for name in names:
        rows = queryset.order_by().values_list(name).annotate(total=Count("pk")).order_by("-total", name)
        result[name] = {("" if value is None else str(value)): total for value, total in rows}
    return result


class TenantViewSet(viewsets.ModelViewSet):
    """Full CRUD on one organization's rows with the envelope, strict query parameters and facets."""

    pagination_class = EnvelopePagination
    filter_backends = [
        DjangoFilterBackend,
        StrictOrderingFilter,
        BoundedSearchFilter,
    ]
    facet_fields: tuple[str, ...] = ()
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    # The writes: every create, update and delete calls exactly one of these services.
    services: ServiceSet = ServiceSet()

    @property
    def organization(self):
        return self.request.user.organization

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: there is no API key
            return super().get_queryset().none()
        return super().get_queryset().for_organization(self.organization)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        if getattr(self, "replayed", False):
            response.status_code = 200
            response[REPLAY_HEADER] = "true"
        return response

    def perform_create(self, serializer):
        # A create service that deduplicates returns (row, created): a repeat answers 200 with the replay header.
        created = self.services.create(organization=self.organization, **serializer.validated_data)
        serializer.instance, self.replayed = (
            (created[0], not created[1]) if isinstance(created, tuple) else (created, False)
        )

    def perform_update(self, serializer):
        serializer.instance = self.services.update_row(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        self.services.delete_row(instance)

    def allowed_query_parameters(self) -> set[str]:
        allowed = set(LIST_PARAMETERS) if self.action == "list" else set()
        if self.action == "list" and self.filterset_class is not None:
            allowed |= set(self.filterset_class.base_filters)
        return allowed

    # Actions that take no input: an empty body is what they expect, not a 400.
    bodiless_actions: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            self.action = None  # e.g. PUT on a read-only resource: a 405, whatever the query string or body
        super().initial(request, *args, **kwargs)
        if self.action is None:
            return  # a method this route does not have: DRF answers 405, whatever the query string or body
        unknown = sorted(set(request.query_params) - self.allowed_query_parameters())
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown query parameter."] for name in unknown})
        # DRF reads an empty body as {}, which would create an object of defaults: a write needs a JSON body.
        if request.method in BODY_METHODS and request.stream is None and self.action not in self.bodiless_actions:
            raise exceptions.ParseError("A JSON object is required: the request body is empty.")

    def facets(self, queryset) -> dict | None:
        raw = self.request.query_params.get("facets")
        if raw is None:
            return None
        names = [name.strip() for name in raw.split(",") if name.strip()]
        unknown = [name for name in names if name not in self.facet_fields]
        if unknown or not names:
            raise exceptions.ValidationError(
                {"facets": [f"Unknown facet(s): {', '.join(unknown) or raw}. Allowed: {list(self.facet_fields)}."]}
            )
        return facet_counts(queryset, names)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        facets = self.facets(queryset)
        page = self.paginate_queryset(queryset)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        if facets is not None:
            response.data["facets"] = facets
        response.enveloped = True
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        status_ok = 200 <= response.status_code < 300
        if status_ok and response.data is not None and not getattr(response, "enveloped", False):
            response.data = {"data": response.data}
            response.enveloped = True
        return super().finalize_response(request, response, *args, **kwargs)
