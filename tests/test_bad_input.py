"""Bad input over HTTP, on every resource: each is a clear 400 naming what is wrong, never a 500 nor a silently
changed value, and a database that cannot be reached is a 503 with ``Retry-After``. Run on SQLite and (CI step 2)
on PostgreSQL, where an offset beyond ±15:59 used to be a DataError.

- UTC offsets: every date-time filter and every writable date-time body field, just inside (±15:59) and just
  outside (±16:00).
- JSON numbers a float cannot hold (``1e-400`` used to be stored as 0.00), NaN/Infinity.
- An empty body on a write (it used to create an object of defaults).
- The database down: in a view, in a service, in the API-key lookup, on reporting; and, on PostgreSQL, a real
  connection terminated by the server.
- Reporting rows: every null served is declared nullable in the schema.
"""

import pytest
from django.db import OperationalError, connection
from rest_framework import serializers

from contacts.api.urls import router as contacts_router
from contacts.tests.factories import ContactFactory
from conversions.api.urls import router as conversions_router
from conversions.models import Campaign, Conversion, Touchpoint
from conversions.tests.factories import CampaignFactory, ConversionFactory, DeliveryFactory, TouchpointFactory
from core.api.envelope import DATABASE_RETRY_AFTER
from core.filtersets import IsoDateTimeFilter
from core.tests.api_contract import assert_400_on, assert_envelope

JUST_INSIDE = ("+15:59", "-15:59")
JUST_OUTSIDE = ("+16:00", "-16:00")
OFFSET_MESSAGE = "The UTC offset must be between -15:59 and +15:59."
TENANT_ROUTES = [
    (prefix, viewset)
    for prefix, viewset, _ in [*contacts_router.registry, *conversions_router.registry]
    # Not exchange rates (shared, read-only for API keys) nor the refund ledger, read-only at /refunds/: refunds are
    # written on their conversion's path, covered on its own below.
    if prefix != "exchange-rates" and "post" in viewset.http_method_names
]


def datetime_filters() -> list[tuple[str, str]]:
    """(list URL, parameter) for every date-time filter of every resource."""
    found = []
    for prefix, viewset, _ in [*contacts_router.registry, *conversions_router.registry]:
        for name, filter_ in viewset.filterset_class.base_filters.items():
            if isinstance(filter_, IsoDateTimeFilter):
                found.append((f"/api/v1/{prefix}/", name))
    return found


def test_every_resource_with_date_times_is_covered():
    assert {url for url, _ in datetime_filters()} == {
        "/api/v1/contacts/", "/api/v1/campaigns/", "/api/v1/deliveries/", "/api/v1/touchpoints/",
        "/api/v1/conversions/", "/api/v1/refunds/",
    }  # fmt: skip
    assert ("/api/v1/refunds/", "refunded_after") in datetime_filters()
    assert ("/api/v1/conversions/", "converted_after") in datetime_filters()
    assert ("/api/v1/touchpoints/", "occurred_before") in datetime_filters()
    assert ("/api/v1/campaigns/", "sent_after") in datetime_filters()


# --- UTC offsets --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "parameter"), datetime_filters())
def test_a_date_time_filter_takes_offsets_up_to_15_59_and_refuses_16_00(api, organization, url, parameter):
    for offset in JUST_INSIDE:
        response = api.get(url, {parameter: f"2026-01-01T00:00:00{offset}"})
        assert response.status_code == 200, (parameter, offset, response.content)
    for offset in JUST_OUTSIDE:
        response = api.get(url, {parameter: f"2026-01-01T00:00:00{offset}"})
        assert_400_on(response, parameter)
        assert response.json()["error"]["fields"][parameter] == [OFFSET_MESSAGE]


def body_datetime_fields() -> list[tuple[str, str]]:
    """(resource, field) for every date-time a client writes."""
    found = []
    for prefix, viewset in TENANT_ROUTES:
        for name, field in viewset.serializer_class().fields.items():
            if isinstance(field, serializers.DateTimeField) and not field.read_only:
                found.append((prefix, name))
    return found


def test_every_writable_date_time_is_covered():
    assert set(body_datetime_fields()) == {
        ("campaigns", "sent_at"), ("touchpoints", "occurred_at"), ("conversions", "converted_at"),
    }  # fmt: skip


def create_body(prefix: str, organization) -> dict:
    if prefix == "campaigns":
        return {"name": "Spring"}
    if prefix == "touchpoints":
        contact = ContactFactory(organization=organization)
        campaign = CampaignFactory(organization=organization)
        return {"contact_id": str(contact.pk), "campaign_id": str(campaign.pk), "kind": "click"}
    return {}


def stored(prefix: str, organization):
    """A stored row of this resource."""
    if prefix == "contacts":
        return ContactFactory(organization=organization)
    if prefix == "campaigns":
        return CampaignFactory(organization=organization)
    if prefix == "deliveries":
        return DeliveryFactory(organization=organization)
    if prefix == "touchpoints":
        contact, campaign = ContactFactory(organization=organization), CampaignFactory(organization=organization)
        return TouchpointFactory(organization=organization, contact=contact, campaign=campaign)
    return ConversionFactory(organization=organization)


MODELS = {"campaigns": Campaign, "touchpoints": Touchpoint, "conversions": Conversion}


@pytest.mark.parametrize(("prefix", "field"), body_datetime_fields())
def test_a_body_date_time_takes_offsets_up_to_15_59_and_refuses_16_00(api, organization, prefix, field):
    url = f"/api/v1/{prefix}/"
    for offset in JUST_INSIDE:
        body = {**create_body(prefix, organization), field: f"2026-01-01T00:00:00{offset}"}
        response = api.post(url, body, format="json")
        assert response.status_code == 201, (field, offset, response.content)
    count = MODELS[prefix].objects.count()
    instance = stored(prefix, organization)
    for offset in JUST_OUTSIDE:
        value = f"2026-01-01T00:00:00{offset}"
        response = api.post(url, {**create_body(prefix, organization), field: value}, format="json")
        assert_400_on(response, field)
        assert response.json()["error"]["fields"][field] == [OFFSET_MESSAGE]
        response = api.patch(f"{url}{instance.pk}/", {field: value}, format="json")
        assert_400_on(response, field)
    assert MODELS[prefix].objects.count() == count + 1  # the one stored above, nothing else


def test_a_refunds_date_time_takes_offsets_up_to_15_59_and_refuses_16_00(api, organization):
    from datetime import UTC, datetime

    conversion = ConversionFactory(organization=organization, converted_at=datetime(2025, 12, 1, tzinfo=UTC))
    url = f"/api/v1/conversions/{conversion.pk}/refunds/"
    for offset in JUST_INSIDE:
        response = api.post(url, {"amount": "1.00", "refunded_at": f"2026-01-01T00:00:00{offset}"}, format="json")
        assert response.status_code == 201, (offset, response.content)
    for offset in JUST_OUTSIDE:
        response = api.post(url, {"amount": "1.00", "refunded_at": f"2026-01-01T00:00:00{offset}"}, format="json")
        assert_400_on(response, "refunded_at")
        assert response.json()["error"]["fields"]["refunded_at"] == [OFFSET_MESSAGE]
    assert conversion.refunds.count() == 2


def test_a_batch_item_with_an_offset_beyond_15_59_fails_alone(api, organization):
    items = [{"converted_at": "2026-01-01T00:00:00+16:00"}, {"converted_at": "2026-01-01T00:00:00+15:59"}]
    response = api.post("/api/v1/conversions/batch/", {"conversions": items}, format="json")
    assert response.status_code == 200
    first, second = response.json()["data"]
    assert first["status"] == "error" and first["error"]["fields"] == {"converted_at": [OFFSET_MESSAGE]}
    assert second["status"] == "created"


def test_an_offset_less_converted_at_is_still_read_in_its_time_zone(api, organization):
    response = api.post(
        "/api/v1/conversions/", {"converted_at": "2026-01-01T12:00:00", "timezone": "Pacific/Kiritimati"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["data"]["converted_at"] == "2025-12-31T22:00:00Z"  # UTC+14


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00+15:59", "2026-01-01T00:00"])
def test_reporting_dates_take_no_time_at_all(api, organization, value):
    response = api.get("/reporting/v1/conversions/totals", {"dateFrom": value})
    assert_400_on(response, "dateFrom")


# --- JSON numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"revenue": 1e-400}',
        '{"revenue": 1e400}',
        '{"payout": -1e-400}',
        '{"metadata": {"ratio": 1e-400}}',
        '{"metadata": {"big": 1e400}}',
        '{"revenue": NaN}',
        '{"revenue": Infinity}',
        '{"metadata": {"x": -Infinity}}',
    ],
)
def test_a_number_no_float_holds_is_a_400_and_nothing_is_stored(api, organization, body):
    response = api.post("/api/v1/conversions/", body, content_type="application/json")
    error = assert_envelope(response, 400, "validation_error")
    assert error["message"].startswith("JSON parse error")
    assert Conversion.objects.count() == 0


def test_ordinary_numbers_are_stored_as_sent_and_metadata_numbers_stay_numbers(api, organization):
    body = '{"revenue": 149.99, "payout": 0e-400, "metadata": {"ratio": 0.5, "n": 3, "tiny": 1e-300, "s": "1.5"}}'
    response = api.post("/api/v1/conversions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["revenue"] == 149.99 and data["payout"] == 0
    assert data["metadata"] == {"ratio": 0.5, "n": 3, "tiny": 1e-300, "s": "1.5"}


def test_a_tiny_but_representable_revenue_is_a_400_on_its_decimals(api, organization):
    response = api.post("/api/v1/conversions/", '{"revenue": 1e-300}', content_type="application/json")
    assert_400_on(response, "revenue")


# --- Empty bodies -------------------------------------------------------------------------------------------------


def write_requests(organization) -> list[tuple[str, str]]:
    requests = []
    for prefix, _ in TENANT_ROUTES:
        requests.append(("post", f"/api/v1/{prefix}/"))
        instance = stored(prefix, organization)
        requests += [("put", f"/api/v1/{prefix}/{instance.pk}/"), ("patch", f"/api/v1/{prefix}/{instance.pk}/")]
    requests.append(("post", "/api/v1/conversions/batch/"))
    requests.append(("post", f"/api/v1/conversions/{stored('conversions', organization).pk}/refunds/"))
    return requests


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_an_empty_body_on_any_write_is_a_400(api, organization, content_type):
    requests = write_requests(organization)
    assert len(requests) == 5 * 3 + 2  # five resources' POST/PUT/PATCH, the batch, a conversion's refunds
    counts = {model: model.objects.count() for model in MODELS.values()}
    for method, url in requests:
        kwargs = {"content_type": content_type} if content_type else {}
        response = getattr(api, method)(url, **kwargs)
        error = assert_envelope(response, 400, "validation_error")
        assert error["message"] == "A JSON object is required: the request body is empty.", (method, url)
    assert {model: model.objects.count() for model in MODELS.values()} == counts


def test_an_empty_body_is_still_refused_by_authentication_and_permissions_first(client, read_only_api, db):
    assert_envelope(client.post("/api/v1/conversions/", content_type="application/json"), 401, "authentication_error")
    assert_envelope(
        read_only_api.post("/api/v1/conversions/", content_type="application/json"), 403, "permission_error"
    )


def test_an_empty_json_object_is_still_a_conversion_of_defaults(api, organization):
    response = api.post("/api/v1/conversions/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["revenue"] == 0


# --- The database down --------------------------------------------------------------------------------------------


def assert_503(response) -> None:
    error = assert_envelope(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert error["fields"] == {}


def refused(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def test_a_database_that_is_down_in_a_view_is_a_503(api, organization, monkeypatch):
    from conversions.api.views import ConversionViewSet

    monkeypatch.setattr(ConversionViewSet, "get_queryset", refused)
    assert_503(api.get("/api/v1/conversions/"))
    assert_503(api.get(f"/api/v1/conversions/{'0' * 32}/"))


def test_a_database_that_is_down_in_a_service_is_a_503(api, organization, monkeypatch):
    from conversions.api.views import ConversionViewSet
    from core.services import ServiceSet

    monkeypatch.setattr(ConversionViewSet, "services", ServiceSet(create=refused))
    assert_503(api.post("/api/v1/conversions/", {"revenue": "1.00"}, format="json"))


def test_a_database_that_is_down_during_the_api_key_lookup_is_a_503_not_a_500(api, organization, monkeypatch):
    import accounts.authentication

    monkeypatch.setattr(accounts.authentication, "api_key_authenticate", refused)
    for response in (
        api.get("/api/v1/contacts/"),
        api.post("/api/v1/conversions/", {}, format="json"),
        api.get("/reporting/v1/conversions/totals"),
        api.get("/reporting/v1/conversions"),
    ):
        assert_503(response)


def test_a_database_that_is_down_on_reporting_is_a_503(api, organization, monkeypatch):
    from reporting import selectors

    monkeypatch.setattr(selectors, "conversions_totals", refused)
    assert_503(api.get("/reporting/v1/conversions/totals"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_terminates_is_a_503_then_the_next_request_reconnects(api_key_secret):
    """A PostgreSQL restart, as the web process sees it: the server ends its connection between two requests."""
    import psycopg
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {api_key_secret}"})
    assert client.get("/api/v1/conversions/").status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], password=settings["PASSWORD"],
        dbname=settings["NAME"], autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    try:
        assert_503(client.get("/api/v1/conversions/"))
    finally:
        connection.close()  # what Django's request_finished signal does with an unusable connection
    assert client.get("/api/v1/conversions/").status_code == 200


# --- Reporting rows and their schema ------------------------------------------------------------------------------


def test_every_null_a_reporting_row_serves_is_nullable_in_the_schema(api, organization, client):
    ConversionFactory(organization=organization)  # no contact, no country
    ConversionFactory(organization=organization, contact=ContactFactory(organization=organization, country=""))
    rows = api.get("/reporting/v1/conversions").json()["conversions"]
    assert len(rows) == 2
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    properties = schema["components"]["schemas"]["ReportingConversionRow"]["properties"]
    nulls = {name for row in rows for name, value in row.items() if value is None}
    assert {"contactId", "clientContactId", "firstName", "surname", "country"} <= nulls
    for name in nulls:
        assert properties[name].get("nullable") is True, name
    for name in set(properties) - {"contactId", "clientContactId", "firstName", "surname", "country", "orderId",
                                   "deliveryId", "campaignId", "conversionsReferenceAmount",
                                   "netReferenceAmount"}:  # fmt: skip
        assert not properties[name].get("nullable"), name


# --- JSON types -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body", "field", "message"),
    [
        ("/api/v1/campaigns/", {"name": 0}, "name", "Not a valid string."),
        ("/api/v1/campaigns/", {"name": "x", "status": 1}, "status", "Not a valid string."),
        ("/api/v1/contacts/", {"client_contact_id": 56738}, "client_contact_id", "Not a valid string."),
        ("/api/v1/conversions/", {"order_id": 1131256454}, "order_id", "Not a valid string."),
        ("/api/v1/conversions/", {"campaign_id": 1}, "campaign_id", "Not a valid string."),
        ("/api/v1/conversions/", {"converted_at": 1767225600}, "converted_at", "Not a valid string."),
        ("/api/v1/conversions/", {"count": "2"}, "count", "A valid integer is required."),
        ("/api/v1/conversions/", {"currency": ["EUR"]}, "currency", "Not a valid string."),
    ],
)
def test_a_value_of_another_json_type_than_the_schema_says_is_a_400(api, organization, url, body, field, message):
    response = api.post(url, body, format="json")
    assert_400_on(response, field)
    assert response.json()["error"]["fields"][field] == [message]


def test_amounts_take_a_number_or_a_string_and_an_empty_reference_is_null(api, organization):
    response = api.post("/api/v1/conversions/", {"revenue": "12.50", "payout": 1, "campaign_id": ""}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["revenue"], data["payout"], data["campaign_id"]) == (12.5, 1, None)


def test_a_method_a_route_does_not_have_is_a_405_whatever_its_query_string_or_body(api, organization):
    assert_envelope(api.delete("/api/v1/campaigns/?status=sent&colour=red"), 405, "validation_error")
    assert_envelope(api.post(f"/api/v1/campaigns/{'0' * 32}/"), 405, "validation_error")


# --- The schema says all of it --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/v1/schema/", {"format": "json"}).json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_every_operation_documents_the_503_with_retry_after(schema):
    error = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
    assert "service_unavailable" in error["properties"]["type"]["enum"]
    for path, method, operation in operations(schema):
        response = operation["responses"]["503"]
        assert response["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorEnvelope"
        assert "Retry-After" in response["headers"], (method, path)


def test_every_request_body_refuses_unknown_fields_and_is_required(schema):
    bodies = 0
    for path, method, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        bodies += path.startswith("/api/v1/")  # the vendor adapters' bodies (/compat/) are checked, not counted
        assert operation["requestBody"].get("required") is True, (method, path)
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert component["additionalProperties"] is False, (method, path)
    # six resources' POST/PUT/PATCH, the batch, exchange rates' (a 403 for keys), a conversion's refunds (POST), a
    # webhook secret's rotation (the other webhook actions take an empty object, which the schema shows as no body),
    # the organization's PATCH
    assert bodies == 6 * 3 + 1 + 3 + 1 + 1 + 1


def test_fixed_choices_are_enums_in_the_schema(schema):
    for path, method, operation in operations(schema):
        parameters = {parameter["name"]: parameter for parameter in operation.get("parameters", [])}
        for name, parameter in parameters.items():
            if parameter["schema"].get("type") == "array":
                assert (parameter["style"], parameter["explode"]) == ("form", False), (path, name)
        if path.startswith("/reporting/"):
            for name in ("type", "status"):
                assert parameters[name]["schema"]["items"]["enum"], (path, name)
            if "sort" in parameters:
                assert "-datetime" in parameters["sort"]["schema"]["items"]["enum"]
        elif method == "get" and "ordering" in parameters:
            assert parameters["ordering"]["schema"]["items"]["enum"], path
            assert parameters["facets"]["schema"]["items"]["enum"], path
    history = schema["paths"]["/reporting/v1/conversions/history"]["get"]["parameters"]
    assert next(p for p in history if p["name"] == "interval")["schema"]["enum"] == ["day", "week", "month"]
    timeframe = schema["paths"]["/reporting/v1/conversions/timeframe"]["get"]["parameters"]
    assert next(p for p in timeframe if p["name"] == "by")["schema"]["enum"] == ["hour", "weekday"]
