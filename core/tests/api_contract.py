"""The contract every resource of /api/v1/ keeps, as base test classes (NetBox's ``APIViewTestCases``, in pytest).

A resource's test module declares one class that inherits a contract and says what is particular to it::

    class TestContactsAPI(TenantResourceContract):
        path = "/api/v1/contacts/"
        model = Contact
        patch = {"surname": "Patched"}
        facet = "country"
        datetime_filters = ("created_after", "created_before")

        def make(self, organization):  # a stored row of ``organization``
            return ContactFactory(organization=organization)

        def create_body(self, organization):  # a valid POST body
            return {"email": "new@example.com"}

        def put_body(self, organization):  # a valid PUT body
            return {"email": "put@example.com"}

and inherits every test below, run through the real URL routing:

- ``ResourceContract`` (every resource): authentication (no, bad, wrong-scheme or revoked key: 401 on every method),
  unknown and malformed ids (404), strict query parameters (400), list mechanics and their limits (pagination,
  offsets, ordering, search, facets, the per-key rate limit) and a list whose query count does not grow with the
  page size (page size 1 and 50 run the same number of queries).
- ``TenantResourceContract`` (one organization's rows, read-write): CRUD, tenancy (another organization's rows are
  a 404 and untouched), read-only keys (403 on every write), strict bodies (unknown fields, non-objects, non-JSON,
  malformed or too deeply nested JSON: 400/415), methods a list does not have (405), date-time filter limits.
- ``SharedReadOnlyResourceContract`` (rows every organization shares, written in the admin only): every key reads
  them, every write is a 403 for every key.

The kernel sits below every app, so this module imports none: the fixtures it uses (``organization``, ``api``,
``read_only_api``, ``other_api``, ``api_key_secret``, ``revocable_api_key``, ``api_rate_limit``) come from
``accounts/tests/fixtures.py``, loaded by the root conftest.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

NIL_UUID = "00000000-0000-0000-0000-000000000000"


def assert_envelope(response, status: int, error_type: str) -> dict:
    """The response is the error envelope with this status and type; returns the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["type"] == error_type
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


def assert_400_on(response, field: str) -> None:
    """The response is a 400 validation error naming ``field``."""
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert field in error["fields"], error


def listed_ids(response) -> set[str]:
    """The ids of a 200 list response's page."""
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["data"]}


# Credentials that authenticate nobody: each is a 401 in the envelope, on every method of every resource.
BAD_CREDENTIALS = {
    "no key": lambda secret: {},
    "a wrong bearer key": lambda secret: {"HTTP_AUTHORIZATION": "Bearer wrong"},
    "an unknown key of the right shape": lambda secret: {"HTTP_AUTHORIZATION": "Bearer cm_deadbeef_wrong"},
    "bearer without a key": lambda secret: {"HTTP_AUTHORIZATION": "Bearer"},
    "the basic scheme": lambda secret: {"HTTP_AUTHORIZATION": "Basic abc"},
    "a valid key in the basic scheme": lambda secret: {"HTTP_AUTHORIZATION": f"Basic {secret}"},
    "a wrong x-api-key": lambda secret: {"HTTP_X_API_KEY": "wrong"},
    "a short x-api-key": lambda secret: {"HTTP_X_API_KEY": "x"},
}

# Date-times that are valid ISO 8601 but out of range in UTC, where the database compares them, and just inside.
OUT_OF_RANGE_DATE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
JUST_INSIDE_DATE_TIMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]


class ResourceContract:
    """What every resource of /api/v1/ keeps. Subclasses declare the attributes and ``make``."""

    path: str  # the list URL, with its trailing slash
    model: type  # the model behind the resource
    ordering: str = "created_at"  # a field the list orders by
    facet: str = ""  # a field the list counts facets of
    patch: dict = {}  # a valid PATCH body (never mutated)
    writable: bool = True  # whether API keys may write (exchange rates: no)

    def make(self, organization):
        """A stored row (of ``organization``, for tenant resources)."""
        raise NotImplementedError

    def create_body(self, organization) -> dict:
        """A valid POST body."""
        raise NotImplementedError

    def detail(self, row) -> str:
        return f"{self.path}{row.pk}/"

    # --- Authentication ---------------------------------------------------------------------------------------------

    @pytest.mark.parametrize("credentials", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
    def test_no_or_bad_key_is_401_on_every_method(self, client, organization, api_key_secret, credentials):
        row = self.make(organization)
        headers = credentials(api_key_secret)
        json = "application/json"
        responses = [client.get(self.path, **headers), client.post(self.path, {}, content_type=json, **headers)]
        for url in (self.detail(row), f"{self.path}{NIL_UUID}/"):
            responses += [
                client.get(url, **headers),
                client.put(url, {}, content_type=json, **headers),
                client.patch(url, {}, content_type=json, **headers),
                client.delete(url, **headers),
            ]
        for response in responses:
            assert_envelope(response, 401, "authentication_error")
            assert response["WWW-Authenticate"].startswith("Bearer")
        assert self.model.objects.filter(pk=row.pk).exists()

    def test_a_revoked_key_is_refused(self, client, organization, revocable_api_key):
        self.make(organization)
        secret = revocable_api_key.secret
        assert client.get(self.path, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        assert client.get(self.path, HTTP_X_API_KEY=secret).status_code == 200
        revocable_api_key.revoke()
        assert_envelope(client.get(self.path, HTTP_AUTHORIZATION=f"Bearer {secret}"), 401, "authentication_error")
        assert_envelope(client.get(self.path, HTTP_X_API_KEY=secret), 401, "authentication_error")
        assert revocable_api_key.is_revoked

    def test_bearer_and_x_api_key_headers_both_authenticate(self, client, api_key_secret, organization):
        self.make(organization)
        bearer = client.get(self.path, HTTP_AUTHORIZATION=f"Bearer {api_key_secret}")
        header = client.get(self.path, HTTP_X_API_KEY=api_key_secret)
        assert bearer.status_code == header.status_code == 200
        assert header.json()["pagination"]["total"] == 1

    # --- Details ----------------------------------------------------------------------------------------------------

    def test_detail_without_trailing_slash(self, api, organization):
        row = self.make(organization)
        assert api.get(f"{self.path}{row.pk}").status_code == 200

    def test_unknown_or_malformed_id_is_404(self, api):
        # Keys that may not write at all are refused a write before the row is looked up (403, below).
        for path in (f"{self.path}{NIL_UUID}/", f"{self.path}not-a-uuid/"):
            responses = [api.get(path)]
            if self.writable:
                responses += [api.patch(path, {}, format="json"), api.delete(path)]
            for response in responses:
                assert response.status_code == 404
                assert response.json()["error"]["type"] == "not_found"

    # --- Strict query parameters and their limits -------------------------------------------------------------------

    def test_unknown_query_parameter_is_400(self, api, organization):
        row = self.make(organization)
        for path in (self.path, self.detail(row)):
            response = api.get(path, {"colour": "red"})
            assert response.status_code == 400
            assert response.json()["error"]["fields"] == {"colour": ["Unknown query parameter."]}

    def test_more_query_parameters_than_django_accepts_is_a_400_envelope(self, api, organization):
        query = "&".join(f"p{index}=1" for index in range(1100))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000

        response = api.get(f"{self.path}?{query}")

        assert response.status_code == 400, response.content
        assert response.json()["error"]["type"] == "validation_error"

    @pytest.mark.parametrize(
        ("query", "status"),
        [
            ({"limit": 1}, 200),
            ({"limit": 1000}, 200),
            ({"limit": 0}, 400),
            ({"limit": 1001}, 400),
            ({"limit": "many"}, 400),
            ({"offset": 0}, 200),
            ({"offset": -1}, 400),
        ],
    )
    def test_pagination_bounds(self, api, organization, query, status):
        self.make(organization)
        response = api.get(self.path, query)
        assert response.status_code == status, response.json()
        if status == 400:
            assert list(query) == list(response.json()["error"]["fields"])

    def test_pagination_pages_and_has_more(self, api, organization):
        for _ in range(3):
            self.make(organization)
        first = api.get(self.path, {"limit": 2}).json()
        assert first["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
        second = api.get(self.path, {"limit": 2, "offset": 2}).json()
        assert second["pagination"] == {"total": 3, "limit": 2, "offset": 2, "has_more": False}
        assert len(second["data"]) == 1
        ids = {row["id"] for row in first["data"] + second["data"]}
        assert len(ids) == 3
        beyond = api.get(self.path, {"offset": 10}).json()
        assert beyond["data"] == [] and beyond["pagination"]["has_more"] is False

    @pytest.mark.parametrize("offset", ["9223372036854775807", "99999999999999999999"])
    def test_an_offset_past_any_database_integer_is_an_empty_page(self, api, organization, offset):
        self.make(organization)

        response = api.get(self.path, {"offset": offset})

        assert response.status_code == 200, response.content
        assert response.json()["data"] == []
        assert response.json()["pagination"] == {"total": 1, "limit": 100, "offset": int(offset), "has_more": False}

    def test_ordering_known_and_unknown(self, api, organization):
        rows = [self.make(organization) for _ in range(3)]
        ascending = api.get(self.path, {"ordering": self.ordering}).json()["data"]
        descending = api.get(self.path, {"ordering": f"-{self.ordering}"}).json()["data"]
        assert [row["id"] for row in ascending] == [row["id"] for row in reversed(descending)]
        assert {row["id"] for row in ascending} == {str(row.pk) for row in rows}
        for bad in ("colour", f"{self.ordering},-colour", "organization"):
            response = api.get(self.path, {"ordering": bad})
            assert response.status_code == 400
            assert "ordering" in response.json()["error"]["fields"]

    def test_search_length_limit(self, api, organization):
        self.make(organization)
        assert api.get(self.path, {"search": "x" * 200}).status_code == 200
        response = api.get(self.path, {"search": "x" * 201})
        assert response.status_code == 400
        assert "search" in response.json()["error"]["fields"]

    def test_facets_known_and_unknown(self, api, organization):
        self.make(organization)
        self.make(organization)
        response = api.get(self.path, {"facets": self.facet})
        assert response.status_code == 200
        assert sum(response.json()["facets"][self.facet].values()) == 2
        assert "facets" not in api.get(self.path).json()
        for bad in ("colour", f"{self.facet},organization"):
            response = api.get(self.path, {"facets": bad})
            assert response.status_code == 400
            assert "facets" in response.json()["error"]["fields"]

    def test_429_with_retry_after_when_the_key_rate_is_exceeded(self, api, other_api, organization, api_rate_limit):
        self.make(organization)
        api_rate_limit("3/minute")
        for _ in range(3):
            assert api.get(self.path).status_code == 200
        response = api.get(self.path)
        assert_envelope(response, 429, "rate_limited")
        assert 1 <= int(response["Retry-After"]) <= 61  # whole seconds, rounded up
        # The limit is per key: another key is unaffected.
        assert other_api.get(self.path).status_code == 200

    def test_list_query_count_does_not_grow_with_page_size(self, api, organization, django_assert_num_queries):
        for _ in range(50):
            self.make(organization)
        api.get(self.path, {"limit": 1})  # the key's last_used_at is written at most once a minute: do it now
        with CaptureQueriesContext(connection) as page_of_one:
            assert len(api.get(self.path, {"limit": 1}).json()["data"]) == 1
        # key look-up, count, page (+ prefetched attributions for conversions): the same for 1 row or 50
        assert len(page_of_one.captured_queries) <= 4
        with django_assert_num_queries(len(page_of_one.captured_queries)):
            assert len(api.get(self.path, {"limit": 50}).json()["data"]) == 50


class TenantResourceContract(ResourceContract):
    """A resource of one organization's rows that read-write keys create, replace, change and delete."""

    not_echoed: tuple[str, ...] = ()  # PUT fields the response renders differently (times, amounts)
    datetime_filters: tuple[str, ...] = ()  # the list's ISO 8601 date-time filters

    def put_body(self, organization) -> dict:
        """A valid PUT body."""
        raise NotImplementedError

    def test_crud_round_trip(self, api, organization):
        created = api.post(self.path, self.create_body(organization), format="json")
        assert created.status_code == 201, created.json()
        data = created.json()["data"]
        assert set(data) >= {"id", "created_at", "updated_at"}
        detail = f"{self.path}{data['id']}/"

        listing = api.get(self.path)
        assert listing.status_code == 200
        assert [row["id"] for row in listing.json()["data"]] == [data["id"]]

        retrieved = api.get(detail)
        assert retrieved.status_code == 200 and retrieved.json()["data"]["id"] == data["id"]

        put_body = self.put_body(organization)
        replaced = api.put(detail, put_body, format="json")
        assert replaced.status_code == 200, replaced.json()
        for name, value in put_body.items():
            if name not in self.not_echoed:
                assert replaced.json()["data"][name] == value, name

        patched = api.patch(detail, self.patch, format="json")
        assert patched.status_code == 200, patched.json()
        for name, value in self.patch.items():
            assert patched.json()["data"][name] == value
        assert self.model.objects.get(pk=data["id"]).pk

        deleted = api.delete(detail)
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert not self.model.objects.filter(pk=data["id"]).exists()
        assert api.get(detail).status_code == 404

    def test_read_only_key_reads_but_every_write_is_403(self, read_only_api, organization):
        row = self.make(organization)
        detail = self.detail(row)
        assert read_only_api.get(self.path).status_code == 200
        assert read_only_api.get(detail).status_code == 200
        attempts = [
            read_only_api.post(self.path, self.create_body(organization), format="json"),
            read_only_api.put(detail, self.put_body(organization), format="json"),
            read_only_api.patch(detail, self.patch, format="json"),
            read_only_api.delete(detail),
        ]
        for response in attempts:
            assert response.status_code == 403
            assert response.json()["error"]["type"] == "permission_error"
        assert self.model.objects.filter(pk=row.pk).count() == 1
        assert self.model.objects.count() == 1

    def test_another_organization_sees_nothing_and_touches_nothing(self, other_api, organization):
        row = self.make(organization)
        detail = self.detail(row)
        listing = other_api.get(self.path, {"facets": self.facet})
        assert listing.status_code == 200
        assert listing.json()["data"] == []
        assert listing.json()["pagination"]["total"] == 0
        assert listing.json()["facets"] == {self.facet: {}}
        for response in (
            other_api.get(detail),
            other_api.put(detail, {}, format="json"),
            other_api.patch(detail, self.patch, format="json"),
            other_api.delete(detail),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["type"] == "not_found"
        assert self.model.objects.filter(pk=row.pk).exists()

    def test_unknown_body_field_and_organization_are_refused(self, api, organization, other_organization):
        for extra in ({"colour": "red"}, {"organization": str(other_organization.pk)}, {"organization_id": "x"}):
            body = {**self.create_body(organization), **extra}
            response = api.post(self.path, body, format="json")
            assert response.status_code == 400
            assert list(extra)[0] in response.json()["error"]["fields"]
        assert self.model.objects.count() == 0

    def test_an_unknown_field_named_by_a_lone_surrogate_is_still_a_400_envelope(self, api, organization):
        # The error echoes the field name, which UTF-8 cannot encode: the answer is still the JSON envelope.
        response = api.post(self.path, data='{"\\ud800": 1}', content_type="application/json")

        assert_400_on(response, "\ud800")
        assert self.model.objects.count() == 0

    def test_body_must_be_a_json_object(self, api):
        response = api.post(self.path, [1, 2], format="json")
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "validation_error"

    def test_415_for_a_body_that_is_not_json(self, api, organization):
        response = api.post(self.path, "revenue=1", content_type="application/x-www-form-urlencoded")
        assert_envelope(response, 415, "validation_error")
        response = api.post(self.path, "<conversion/>", content_type="application/xml")
        assert_envelope(response, 415, "validation_error")
        assert self.model.objects.count() == 0

    @pytest.mark.parametrize("raw", ['{"revenue": 1', "{'revenue': 1}", '{"revenue": NaN}'])
    def test_malformed_json_is_400(self, api, organization, raw):
        response = api.post(self.path, raw, content_type="application/json")
        assert_envelope(response, 400, "validation_error")
        assert self.model.objects.count() == 0

    def test_json_nested_too_deeply_to_parse_is_400(self, api, organization):
        depth = 100_000
        body = '{"metadata": ' + "[" * depth + "]" * depth + "}"
        response = api.post(self.path, data=body, content_type="application/json")

        assert response.status_code == 400, response.content
        assert response.json()["error"]["type"] == "validation_error"
        assert self.model.objects.count() == 0

    def test_405_for_a_method_the_list_does_not_have(self, api, organization):
        assert_envelope(api.delete(self.path), 405, "validation_error")
        assert_envelope(api.put(self.path, {}, format="json"), 405, "validation_error")

    def test_writes_count_towards_the_key_rate(self, api, organization, api_rate_limit):
        body = self.create_body(organization)
        api_rate_limit("3/minute")
        for _ in range(3):
            assert api.get(self.path).status_code == 200
        assert_envelope(api.post(self.path, body, format="json"), 429, "rate_limited")
        assert self.model.objects.count() == 0

    @pytest.mark.parametrize("value", OUT_OF_RANGE_DATE_TIMES)
    def test_date_time_filters_out_of_range_are_400(self, api, organization, value):
        assert self.datetime_filters, "declare the resource's date-time filters"
        for name in self.datetime_filters:
            assert_400_on(api.get(self.path, {name: value}), name)

    def test_date_time_filters_just_inside_the_range_are_200(self, api, organization):
        for name in self.datetime_filters:
            for value in JUST_INSIDE_DATE_TIMES:
                assert api.get(self.path, {name: value}).status_code == 200, (name, value)


class SharedReadOnlyResourceContract(ResourceContract):
    """Rows every organization shares (not tenant data), which API keys only read: they are written in the admin."""

    writable = False

    def test_every_organization_and_key_reads_the_shared_rows(self, api, read_only_api, other_api, organization):
        row = self.make(organization)
        for client in (api, read_only_api, other_api):
            response = client.get(self.path)
            assert response.status_code == 200
            assert response.json()["pagination"]["total"] == 1
            assert client.get(self.detail(row)).status_code == 200

    def test_every_write_is_403_for_every_key(self, api, read_only_api, other_api, organization):
        row = self.make(organization)
        detail = self.detail(row)
        stored = self.model.objects.count()
        for client in (api, read_only_api, other_api):
            for response in (
                client.post(self.path, self.create_body(organization), format="json"),
                client.put(detail, self.create_body(organization), format="json"),
                client.patch(detail, self.patch, format="json"),
                client.delete(detail),
            ):
                assert response.status_code == 403
                assert response.json()["error"]["type"] == "permission_error"
        assert self.model.objects.count() == stored
        unchanged = self.model.objects.get(pk=row.pk)
        assert [getattr(unchanged, name) for name in self.patch] == [getattr(row, name) for name in self.patch]
