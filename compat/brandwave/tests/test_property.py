"""Properties over generated input, with the caller's real organization (schema fuzzing, which cannot know it,
mostly meets the 404): whatever a Brandwave client sends, the answer is a success or a 4xx in our envelope, never
a 5xx; a refused write stores nothing; and every page of the list is a slice of one stable order."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversions.models import Conversion

from .conftest import BASE, an_hour_ago, detail

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=300),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=70), children, max_size=3),
    max_leaves=8,
)
TEXT = st.text(max_size=300)
QUERY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=250)

FIELD_VALUES = {
    "sourceId": JSON_VALUES,
    "convertedAt": st.one_of(JSON_VALUES, st.datetimes().map(lambda moment: moment.isoformat())),
    "count": st.one_of(JSON_VALUES, st.integers(min_value=-2, max_value=1_000_002)),
    "origin": st.one_of(JSON_VALUES, TEXT),
    "externalRef": st.one_of(JSON_VALUES, TEXT),
    "metadata": st.one_of(
        JSON_VALUES, st.dictionaries(st.text(min_size=0, max_size=70), JSON_SCALARS, min_size=0, max_size=55)
    ),
    "organizationId": st.one_of(JSON_VALUES, TEXT),
}
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}


@pytest.fixture
def stored(api, body):
    return api.post(BASE, body(externalRef="FUZZ-BASE"), format="json").json()["data"]


@FUZZ
@given(
    replaced=st.dictionaries(st.sampled_from(sorted(FIELD_VALUES)), st.just(None), max_size=4).flatmap(
        lambda names: st.fixed_dictionaries({name: FIELD_VALUES[name] for name in names})
    ),
    dropped=st.sets(st.sampled_from(sorted(FIELD_VALUES))),
)
def test_any_create_body_is_answered_without_a_server_error(api, body, replaced, dropped):
    before = Conversion.objects.count()
    sent = {name: value for name, value in body(**replaced).items() if name not in dropped}
    response = api.post(BASE, sent, format="json")
    assert_no_server_error(response)
    assert Conversion.objects.count() == before + (response.status_code == 201)


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(sorted(FIELD_VALUES)), st.just(None), max_size=4).flatmap(
        lambda names: st.fixed_dictionaries({name: FIELD_VALUES[name] for name in names})
    )
)
def test_any_patch_body_is_answered_without_a_server_error(api, stored, changes):
    before = Conversion.objects.values().get(pk=stored["id"])
    response = api.patch(detail(stored["id"]), changes, format="json")
    assert_no_server_error(response)
    if response.status_code != 200:
        assert Conversion.objects.values().get(pk=stored["id"]) == before


QUERY_VALUES = {
    "pageIndex": st.one_of(st.integers(min_value=-3, max_value=10**40).map(str), QUERY_TEXT),
    "pageSize": st.one_of(st.integers(min_value=-3, max_value=103).map(str), QUERY_TEXT),
    "searchTerm": QUERY_TEXT,
    "sortBy": st.one_of(st.sampled_from(["count", "externalRef", "created_at", "x"]), QUERY_TEXT),
    "sortDirection": st.one_of(st.sampled_from(["asc", "desc"]), QUERY_TEXT),
    "sourceId": QUERY_TEXT,
}


@FUZZ
@given(query=st.fixed_dictionaries({}, optional=QUERY_VALUES))
def test_any_list_query_is_answered_without_a_server_error(api, organization, stored, query):
    response = api.get(BASE, {"organizationId": organization.slug, **query})
    assert_no_server_error(response)
    if response.status_code == 200:
        assert set(response.json()) == {"items", "totalCount", "facets"}
        assert response.json()["totalCount"] == 1 or query.get("searchTerm") or query.get("sourceId")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    page_size=st.integers(min_value=1, max_value=7),
    sort=st.sampled_from([{}, {"sortBy": "count"}, {"sortBy": "origin", "sortDirection": "desc"}]),
)
def test_pages_are_slices_of_one_order(api, organization, body, page_size, sort):
    if not Conversion.objects.exists():
        for index in range(9):
            changes = {"count": index % 3 + 1, "origin": "ab"[index % 2], "convertedAt": an_hour_ago(index % 2 + 1)}
            api.post(BASE, body(**changes), format="json")
    query = {"organizationId": organization.slug, **sort}
    everything = api.get(BASE, {**query, "pageIndex": 0, "pageSize": 100}).json()["items"]
    pages = []
    for index in range(-(-9 // page_size)):
        pages += api.get(BASE, {**query, "pageIndex": index, "pageSize": page_size}).json()["items"]
    assert [item["id"] for item in pages] == [item["id"] for item in everything]
    assert len(everything) == 9
