"""Admin lists and change forms: credit columns of the campaign and delivery lists (equal to reporting v1, one
query for the page, sortable, per period, scoped), and what values look like (weights as percentages, times in the
organization's zone with its name, long values cut with the whole value on hover, no "None")."""

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.fixtures import *  # noqa: F403 - pytest fixtures
from conversions.models import Campaign, Conversion, Delivery, ExchangeRate, RollupMark
from conversions.services import (
    campaign_create,
    conversion_create,
    conversion_update,
    delivery_create,
    touchpoint_create,
)
from reporting import selectors
from reporting.aggregation import Filters
from reporting.models import CreditRollup
from reporting.services import rollup_drain
from reporting.target_admin import DEFAULT_PERIOD, PERIODS

CAMPAIGNS = reverse("admin:conversions_campaign_changelist")
DELIVERIES = reverse("admin:conversions_delivery_changelist")
CONVERSIONS = reverse("admin:conversions_conversion_changelist")
LONG_ORDER_ID = ("ORDER-" + "0123456789ABCDEFGHIJ" * 6)[:101]


def _local(organization, days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate(timezone=organization.zone) - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=organization.zone)


@pytest.fixture
def credit(organization, other_organization):
    """Credit of every shape: explicit and attributed, split 50/50 (odd cent), in two currencies, approved and not,
    inside and outside each period, next to a period's first local midnight, on clean days (folded into the
    rollups) and on dirty days (written after the drain, read raw); plus another organization's."""
    ExchangeRate.objects.create(date=timezone.now().date() - timedelta(days=400), currency="CZK", rate=Decimal("25"))
    spring = campaign_create(organization=organization, name="Spring")
    autumn = campaign_create(organization=organization, name="Autumn")
    first = delivery_create(organization=organization, name="Spring send A", campaign=spring)
    second = delivery_create(organization=organization, name="Spring send B", campaign=spring)
    welcome = delivery_create(organization=organization, name="Welcome flow")

    def sale(days_ago, hour, revenue, **fields):
        fields.setdefault("email", f"buyer-{days_ago}-{hour}@acme.test")
        return conversion_create(
            organization=organization, revenue=revenue, converted_at=_local(organization, days_ago, hour), **fields
        )[0]

    sale(3, 12, "100.00", delivery=first)
    sale(10, 9, "250.00", currency="CZK", count=2, campaign=autumn)
    sale(40, 12, "999.00", delivery=first)  # in 90 days, not in 30
    sale(6, 0, "7.00", delivery=welcome)  # 00:00 local: in the last 7 days (the UTC day before is not)
    sale(7, 23, "11.00", delivery=welcome)  # 23:00 local, 7 days ago: not in the last 7 days
    sale(5, 12, "500.00", delivery=first, status="pending")  # not approved: never counted
    rollup_drain()
    # After the drain: dirty days, read from the raw credit rows.
    contact = "split@acme.test"
    split = conversion_create(organization=organization, email=contact, revenue="0.01", converted_at=_local(
        organization, 2, 8))[0]  # fmt: skip
    for index, delivery in enumerate((first, second)):
        touchpoint_create(
            organization=organization,
            contact=split.contact,
            delivery=delivery,
            kind="click",
            occurred_at=_local(organization, 1, 8 + index),
        )
    sale(1, 12, "100.01", email=contact, attribution_model="linear")
    sale(3, 18, "40.00", delivery=first)  # a dirty write on a day that is otherwise clean
    # Another organization's campaign, with credit the first one's staff must never see.
    theirs = campaign_create(organization=other_organization, name="Theirs")
    conversion_create(
        organization=other_organization, email="x@globex.test", revenue="777.00", campaign=theirs,
        converted_at=timezone.now() - timedelta(hours=3),
    )  # fmt: skip
    return {"spring": spring, "autumn": autumn, "first": first, "second": second, "welcome": welcome, "theirs": theirs}


def _api_totals(api, target: str, pk, first, last) -> tuple[Decimal, Decimal]:
    response = api.get(
        "/reporting/v1/conversions/totals",
        {f"{target}Id": str(pk), "dateFrom": first.isoformat(), "dateTo": last.isoformat()},
    )
    assert response.status_code == 200, response.content
    figures = response.json()["conversions"]
    return Decimal(str(figures["conversionsNumber"])), Decimal(str(figures["conversionsAmountWTax"]))


def _period_days(organization, key):
    return PERIODS[key].span(timezone.localdate(timezone=organization.zone))


def _list(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200  # an unknown filter value would redirect with ?e=1
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("period", list(PERIODS))
def test_credit_columns_equal_the_reporting_figures(admin_a, api, organization, credit, period):
    assert RollupMark.objects.filter(organization=organization).exists()  # some days are dirty …
    assert CreditRollup.objects.filter(organization=organization).exists()  # … and some are clean
    first, last = _period_days(organization, period)
    for url, target, model in ((CAMPAIGNS, "campaign", Campaign), (DELIVERIES, "delivery", Delivery)):
        response = _list(admin_a, url, period=period)
        rows = list(response.context["cl"].result_list)
        assert {row.pk for row in rows} == set(
            model.objects.filter(organization=organization).values_list("pk", flat=True)
        )
        page = response.content.decode()
        for row in rows:
            number, amount = _api_totals(api, target, row.pk, first, last)
            assert selectors._number(row.credited_number) == number, (target, row.name, period)
            assert selectors.round_money(row.credited_revenue) == amount, (target, row.name, period)
            # The selectors the API calls agree too (the same reads, without the HTTP layer).
            filters = Filters(statuses=selectors.DEFAULT_STATUSES, **{f"{target}_id": row.pk})
            totals = selectors.conversions_totals(
                selectors.ReportQuery(organization=organization, date_from=first, date_to=last, filters=filters)
            )
            assert (totals.number, totals.amount_with_tax) == (number, amount)
            assert f"{amount:.2f} EUR" in page
        assert f"Revenue ({PERIODS[period].short})" in page


@pytest.mark.django_db
def test_the_figures_are_the_expected_ones(admin_a, organization, credit):
    """Hand-checked, so the equality above is not an equality of two wrong answers."""
    campaigns = {row.name: row for row in _list(admin_a, CAMPAIGNS).context["cl"].result_list}
    deliveries = {row.name: row for row in _list(admin_a, DELIVERIES).context["cl"].result_list}
    # Spring: 100 + 40 (send A) + 100.01 split between its two sends; autumn: 250 CZK at 25 = 10 EUR, count 2.
    assert (campaigns["Spring"].credited_number, campaigns["Spring"].credited_revenue) == (3, Decimal("240.01"))
    assert (campaigns["Autumn"].credited_number, campaigns["Autumn"].credited_revenue) == (2, Decimal("10.00"))
    assert deliveries["Spring send A"].credited_revenue == Decimal("190.01")  # 100 + 40 + the odd cent's half
    assert deliveries["Spring send B"].credited_revenue == Decimal("50.00")
    assert selectors._number(deliveries["Spring send A"].credited_number) == Decimal("2.50")
    assert deliveries["Welcome flow"].credited_revenue == Decimal("18.00")
    week = {row.name: row for row in _list(admin_a, DELIVERIES, period="7d").context["cl"].result_list}
    assert week["Welcome flow"].credited_revenue == Decimal("7.00")  # local midnight in, the day before out
    quarter = {row.name: row for row in _list(admin_a, DELIVERIES, period="90d").context["cl"].result_list}
    assert quarter["Spring send A"].credited_revenue == Decimal("1189.01")


@pytest.mark.django_db
def test_the_default_period_is_the_last_30_days(admin_a, organization, credit):
    assert DEFAULT_PERIOD == "30d"
    default = _list(admin_a, CAMPAIGNS)
    chosen = _list(admin_a, CAMPAIGNS, period="30d")
    assert [(row.pk, row.credited_revenue) for row in default.context["cl"].result_list] == [
        (row.pk, row.credited_revenue) for row in chosen.context["cl"].result_list
    ]
    assert _period_days(organization, "30d") == selectors.report_default_range(organization)
    assert "Conversions (30 days)" in default.content.decode()
    # An unknown period is the default one, not an error page.
    unknown = _list(admin_a, CAMPAIGNS, period="fortnight")
    assert [row.credited_revenue for row in unknown.context["cl"].result_list] == [
        row.credited_revenue for row in default.context["cl"].result_list
    ]


@pytest.mark.parametrize(
    ("key", "today", "expected"),
    [
        ("7d", "2024-03-05", ("2024-02-28", "2024-03-05")),
        ("30d", "2024-03-05", ("2024-02-05", "2024-03-05")),
        ("90d", "2024-03-05", ("2023-12-07", "2024-03-05")),
        ("this-month", "2024-03-05", ("2024-03-01", "2024-03-05")),
        ("last-month", "2024-03-05", ("2024-02-01", "2024-02-29")),
        ("last-month", "2024-01-31", ("2023-12-01", "2023-12-31")),
    ],
)
def test_period_days(key, today, expected):
    assert PERIODS[key].span(date.fromisoformat(today)) == tuple(date.fromisoformat(day) for day in expected)


@pytest.mark.django_db
def test_credit_columns_sort(admin_a, organization, credit):
    for url in (CAMPAIGNS, DELIVERIES):
        response = _list(admin_a, url)
        columns = [getattr(name, "admin_order_field", name) for name in response.context["cl"].list_display]
        for column in ("credited_number", "credited_revenue"):
            index = columns.index(column)
            ascending = [getattr(row, column) for row in _list(admin_a, url, o=str(index)).context["cl"].result_list]
            descending = [getattr(row, column) for row in _list(admin_a, url, o=f"-{index}").context["cl"].result_list]
            assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True), (url, column)
            assert len(set(ascending)) > 1  # the order is not vacuous


def _campaigns_with_credit(organization, count, start=0):
    for index in range(start, start + count):
        campaign = campaign_create(organization=organization, name=f"Campaign {index}")
        delivery = delivery_create(organization=organization, name=f"Send {index}", campaign=campaign)
        conversion_create(
            organization=organization, email=f"q{index}@acme.test", revenue="10.00", delivery=delivery,
            converted_at=timezone.now() - timedelta(hours=2),
        )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CAMPAIGNS, DELIVERIES])
def test_a_page_costs_the_same_queries_for_2_and_20_rows(admin_a, organization, url, django_assert_max_num_queries):
    _campaigns_with_credit(organization, 2)
    rollup_drain()
    with CaptureQueriesContext(connection) as two:
        assert _list(admin_a, url).status_code == 200
    _campaigns_with_credit(organization, 18, start=2)  # some clean, some dirty: both are read
    with django_assert_max_num_queries(len(two.captured_queries)):
        response = _list(admin_a, url)
    assert len(response.context["cl"].result_list) == 20
    # One SELECT brings the rows and their figures (no other query touches the credit).
    credit_queries = [query["sql"] for query in two.captured_queries if "reporting_creditrollup" in query["sql"]]
    assert len(credit_queries) == 1 and "conversions_attribution" in credit_queries[0]
    print(f"\n{url}: {len(two.captured_queries)} queries for 2 rows and for 20 rows")


@pytest.mark.django_db
def test_a_member_sees_only_their_organizations_rows_and_figures(admin_a, admin_b, credit):
    mine = _list(admin_a, CAMPAIGNS).content.decode()
    assert "Theirs" not in mine and "777.00" not in mine
    theirs = _list(admin_b, CAMPAIGNS)
    assert [row.name for row in theirs.context["cl"].result_list] == ["Theirs"]
    page = theirs.content.decode()
    assert "777.00 USD" in page and "Spring" not in page


@pytest.mark.django_db
def test_a_superuser_sees_each_organization_in_its_own_days_and_currency(
    admin_root, api, other_api, organization, other_organization, credit
):
    response = _list(admin_root, CAMPAIGNS, period="7d")
    rows = {row.name: row for row in response.context["cl"].result_list}
    for name, client, owner in (("Spring", api, organization), ("Theirs", other_api, other_organization)):
        first, last = _period_days(owner, "7d")
        number, amount = _api_totals(client, "campaign", rows[name].pk, first, last)
        assert (selectors._number(rows[name].credited_number), selectors.round_money(rows[name].credited_revenue)) == (
            number,
            amount,
        )
    page = response.content.decode()
    assert "777.00 USD" in page and "240.01 EUR" in page  # Spring's last 7 days: 100 + 40 + 100.01


@pytest.mark.django_db
def test_the_period_filter_offers_the_periods_and_no_all(admin_a, credit):
    response = _list(admin_a, CAMPAIGNS)
    page = response.content.decode()
    for period in PERIODS.values():
        assert period.label.capitalize() in page
    changelist = response.context["cl"]
    spec = next(spec for spec in changelist.filter_specs if spec.title == "credit period")
    choices = list(spec.choices(changelist))
    assert [choice["display"] for choice in choices] == [period.label.capitalize() for period in PERIODS.values()]
    assert [choice["selected"] for choice in choices].count(True) == 1 and choices[1]["selected"]


@pytest.mark.django_db
def test_the_change_form_and_delete_do_not_need_the_figures(admin_a, credit):
    spring = credit["spring"]
    change = admin_a.get(reverse("admin:conversions_campaign_change", args=[spring.pk]))
    assert change.status_code == 200
    assert admin_a.get(reverse("admin:conversions_campaign_history", args=[spring.pk])).status_code == 200


# --- How values look ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_long_order_id_is_cut_with_the_whole_value_on_hover(admin_a, organization):
    conversion_create(
        organization=organization, order_id=LONG_ORDER_ID, revenue="1.00", email="long@acme.test",
        converted_at=timezone.now() - timedelta(hours=1), notes="n" * 500,
    )  # fmt: skip
    page = _list(admin_a, CONVERSIONS).content.decode()
    assert f'<span title="{LONG_ORDER_ID}">{LONG_ORDER_ID[:15]}…</span>' in page
    assert f">{LONG_ORDER_ID}<" not in page  # never shown whole in a cell


@pytest.mark.django_db
def test_lists_show_a_dash_not_none(admin_a, organization):
    campaign_create(organization=organization, name="Never sent")
    delivery_create(organization=organization, name="No campaign")
    conversion_create(organization=organization, revenue="0", converted_at=timezone.now() - timedelta(hours=1))
    for url in (CAMPAIGNS, DELIVERIES, CONVERSIONS, reverse("admin:contacts_contact_changelist")):
        page = _list(admin_a, url).content.decode()
        assert not re.search(r">\s*None\s*<", page), url
    assert "—" in _list(admin_a, CAMPAIGNS).content.decode()  # the empty "sent at"


@pytest.mark.django_db
def test_list_times_are_in_the_rows_organizations_zone_with_its_name(admin_root, organization, other_organization):
    moment = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    campaign_create(organization=organization, name="Prague", sent_at=moment)
    campaign_create(organization=other_organization, name="London", sent_at=moment)
    page = _list(admin_root, CAMPAIGNS).content.decode()
    assert "12:00 CEST" in page and "10:00 UTC" in page


@pytest.mark.django_db
def test_the_conversion_change_form_shows_credit_as_percentages_names_and_money(admin_a, organization):
    spring = campaign_create(organization=organization, name="Spring")
    first = delivery_create(organization=organization, name="Spring send A", campaign=spring)
    second = delivery_create(organization=organization, name="Spring send B", campaign=spring)
    split = conversion_create(
        organization=organization, email="split@acme.test", revenue="0.01",
        converted_at=timezone.now() - timedelta(days=2),
    )[0]  # fmt: skip
    for index, delivery in enumerate((first, second)):
        touchpoint_create(
            organization=organization, contact=split.contact, delivery=delivery, kind="click",
            occurred_at=timezone.now() - timedelta(hours=5 - index),
        )  # fmt: skip
    conversion = conversion_create(
        organization=organization, email="split@acme.test", revenue="100.01", attribution_model="linear",
        converted_at=timezone.now() - timedelta(hours=1),
    )[0]  # fmt: skip
    assert conversion.attributions.count() == 2
    page = admin_a.get(reverse("admin:conversions_conversion_change", args=[conversion.pk])).content.decode()
    # Twice in the credit rows, twice in "Why this credit" (the two counted clicks' weights).
    assert page.count("50.00 %") == 4 and "0.500000000000" not in page
    assert f"of {conversion.pk}" not in page  # the model's "<weight> of <id>" row title is gone
    assert "Spring send A" in page and "Spring send B" in page
    assert "50.01 EUR" in page and "50.00 EUR" in page
    local = timezone.localtime(Conversion.objects.get(pk=conversion.pk).created_at, organization.zone)
    assert f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}" in page  # read-only times: the zone, named
    assert not re.search(r">\s*None\s*<", page)


@pytest.mark.django_db
def test_history_shows_no_none_and_times_in_the_zone(admin_a, organization):
    conversion = conversion_create(
        organization=organization, email="h@acme.test", revenue="10.00", order_id="H-1",
        converted_at=datetime(2024, 7, 1, 10, 0, tzinfo=organization.zone),
    )[0]  # fmt: skip
    conversion_update(conversion=conversion, coupon_code="SUMMER", notes="x" * 200)
    page = admin_a.get(reverse("admin:conversions_conversion_history", args=[conversion.pk])).content.decode()
    assert "Change reason" not in page and not re.search(r">\s*None\s*<", page)
    assert "— → SUMMER" in page.replace("&nbsp;", " ").replace("&rarr;", "→")
    assert f'title="{"x" * 200}"' in page  # a long value is cut, the whole on hover
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} CES?T", page)  # the history date, in the zone
