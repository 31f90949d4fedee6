"""The admin home is the reporting dashboard: presets, filters, previous period, chart, breakdowns, CSV, tenancy.

Every figure is checked against what ``/reporting/v1/`` answers for the same range and filters (through an API key
of the same organization), so the dashboard cannot drift from the one aggregation path.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AttributionModel
from accounts.services import user_create_staff
from contacts.services import contact_create
from conversions.services import (
    campaign_create,
    conversion_create,
    delivery_create,
    refund_create,
    touchpoints_bulk_create,
)
from conversions.tests.factories import ConversionFactory, ExchangeRateFactory
from reporting import dashboard as dashboard_module
from reporting.dashboard import NumberFormat, bucket_interval, preset_range
from reporting.services import rollup_drain

PRAGUE = ZoneInfo("Europe/Prague")
HOME = reverse("admin:index")
DASHBOARD = reverse("admin:reporting_dashboard")
API = "/reporting/v1"
FIRST, LAST = date(2024, 7, 1), date(2024, 7, 30)  # 30 days; the previous period is 1–30 June
PREVIOUS_FIRST, PREVIOUS_LAST = date(2024, 6, 1), date(2024, 6, 30)
ALL_STATUSES = "approved,pending,rejected,refunded"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member_a(organization):
    return _client(user_create_staff(username="dash-a", password="unused-password-a", organization=organization))


@pytest.fixture
def member_b(other_organization):
    return _client(user_create_staff(username="dash-b", password="unused-password-b", organization=other_organization))


@pytest.fixture
def root(db):
    return _client(user_create_staff(username="dash-root", password="unused-password-r", superuser=True))


@pytest.fixture
def targets(organization):
    spring = campaign_create(organization=organization, name="Spring sale")
    return {
        "spring": spring,
        "welcome": delivery_create(organization=organization, name="Welcome flow", campaign=spring),
        "newsletter": delivery_create(organization=organization, name="Newsletter", campaign=spring),
        "cart": delivery_create(organization=organization, name="Abandoned cart"),
    }


@pytest.fixture
def sales(organization, other_organization, targets):
    """June and July 2024 in Prague: two or three conversions a day across currencies, countries, types, statuses,
    origins and deliveries; most days rolled up, the last days of each month left dirty (read raw)."""
    ExchangeRateFactory(currency="CZK", date=date(2024, 1, 1), rate=Decimal("25"))
    deliveries = [targets["welcome"], targets["newsletter"], targets["cart"], None]
    countries, origins = ["CZ", "SK", "", "CZ"], ["website", "app", "", "website", "partner"]
    statuses, types = ["approved", "approved", "pending", "approved", "refunded"], ["purchase", "signup", "purchase"]

    def sell(day: date, index: int) -> None:
        conversion = ConversionFactory(
            organization=organization,
            email=f"buyer{index % 23}@example.com",
            revenue=Decimal(1000 + (index * 7919) % 250000) / 100,
            currency="CZK" if index % 3 == 0 else "EUR",
            country=countries[index % 4],
            origin=origins[index % 5],
            status=statuses[index % 5],
            type=types[index % 3],
            count=1 + index % 2,
            delivery=deliveries[index % 4],
            converted_at=datetime.combine(day, time(index % 24, 15), tzinfo=PRAGUE),
        )
        if conversion.status == "approved" and index % 4 == 0:  # a third given back: gross, refunded, net differ
            amount = (conversion.revenue / 3).quantize(Decimal("0.01"))
            refund_create(organization=organization, conversion=conversion, amount=amount, reason="returned")

    index = 0
    day = PREVIOUS_FIRST
    while day <= LAST:
        for _ in range(2 + day.day % 2):
            sell(day, index)
            index += 1
        day += timedelta(days=1)
    rollup_drain()
    for day in (date(2024, 6, 29), LAST):  # written after the drain: their days are dirty
        sell(day, index)
        index += 1
    ConversionFactory(
        organization=other_organization, revenue="98765.43", converted_at=datetime(2024, 7, 2, tzinfo=UTC)
    )


@pytest.fixture
def journeys(organization, sales):
    """Ten campaigns, each touched (an open, then a click of another campaign's delivery) before conversions
    without a campaign or delivery of their own, in July 2024; most days rolled up, the last one left dirty."""
    campaigns = [campaign_create(organization=organization, name=f"Campaign {index:02d}") for index in range(10)]
    deliveries = [
        delivery_create(organization=organization, name=f"Mail {index:02d}", campaign=campaign)
        for index, campaign in enumerate(campaigns)
    ]
    contacts = [contact_create(organization=organization, email=f"journey{index}@example.com") for index in range(10)]

    def journey(index: int, day: date) -> None:
        noon = datetime.combine(day, time(12), tzinfo=PRAGUE)
        touchpoints_bulk_create(
            organization=organization,
            touchpoints=[
                {"contact": contacts[index], "kind": "open", "occurred_at": noon - timedelta(days=3),
                 "campaign": campaigns[index]},
                {"contact": contacts[index], "kind": "click", "occurred_at": noon - timedelta(days=1),
                 "delivery": deliveries[(index + 1) % 10]},
            ],
        )  # fmt: skip
        conversion_create(
            organization=organization,
            contact=contacts[index],
            converted_at=noon,
            currency="EUR",
            revenue=Decimal(100 * (index + 1)),
        )

    for index in range(10):
        journey(index, FIRST + timedelta(days=5 + index))
    rollup_drain()
    journey(0, LAST)  # written after the drain: its day is dirty
    return campaigns


def _api(api, path: str, first: date, last: date, **params) -> dict:
    response = api.get(f"{API}{path}", {"dateFrom": first.isoformat(), "dateTo": last.isoformat(), **params})
    assert response.status_code == 200, response.content
    return response.json()


def _dec(value) -> Decimal:
    return Decimal(str(value))


KPI_FIELDS = {
    "revenue": lambda body: body["conversions"]["conversionsAmountWTax"],
    "revenue_without_tax": lambda body: body["conversions"]["conversionsAmountWoTax"],
    "conversions": lambda body: body["conversions"]["conversionsNumber"],
    "unique_contacts": lambda body: body["uniqueContacts"],
    "average": lambda body: body["conversions"]["averageConversion"],
    "average_per_contact": lambda body: body["averageUniqueConversion"],
    "refunded": lambda body: body["conversions"]["refundedAmountWTax"],
    "net_revenue": lambda body: body["conversions"]["netAmountWTax"],
}

# (dashboard query string, the same filter in reporting v1)
FILTERS = [
    ({}, {}),
    ({"type": "purchase"}, {"type": "purchase"}),
    ({"status": "pending"}, {"status": "pending"}),
    ({"status": "all"}, {"status": ALL_STATUSES}),
    ({"country": "CZ"}, {"country": "CZ"}),
    ({"currency": "CZK"}, {"currency": "CZK"}),
    ({"campaign": "spring"}, {"campaignId": "spring"}),
    ({"delivery": "welcome"}, {"deliveryId": "welcome"}),
    ({"type": "purchase", "country": "SK", "delivery": "newsletter"},
     {"type": "purchase", "country": "SK", "deliveryId": "newsletter"}),
]  # fmt: skip


def _resolve(params: dict, targets) -> dict:
    return {name: str(targets[value].pk) if value in targets else value for name, value in params.items()}


def _custom(first: date, last: date, **params) -> dict:
    return {"date_from": first.isoformat(), "date_to": last.isoformat(), **params}


# --- Presets --------------------------------------------------------------------------------------------------------

# 23:30 UTC on 31 March 2024 is 01:30 on 1 April in Prague (summer time began that night): the presets follow
# the organization's calendar, not the server's.
NOW = datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
PRESET_DAYS = {
    "today": (date(2024, 4, 1), date(2024, 4, 1)),
    "7d": (date(2024, 3, 26), date(2024, 4, 1)),
    "30d": (date(2024, 3, 3), date(2024, 4, 1)),
    "90d": (date(2024, 1, 3), date(2024, 4, 1)),
    "this_month": (date(2024, 4, 1), date(2024, 4, 1)),
    "last_month": (date(2024, 3, 1), date(2024, 3, 31)),
    "this_year": (date(2024, 1, 1), date(2024, 4, 1)),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("preset", "days"), PRESET_DAYS.items())
def test_each_preset_is_the_right_days_in_the_organizations_zone(member_a, organization, preset, days):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = member_a.get(HOME, {"period": preset})
    dashboard = response.context["dashboard"]
    assert (dashboard.query.date_from, dashboard.query.date_to) == days
    length = days[1] - days[0] + timedelta(days=1)
    assert (dashboard.previous_query.date_from, dashboard.previous_query.date_to) == (
        days[0] - length,
        days[1] - length,
    )
    active = [preset["key"] for preset in response.context["presets"] if preset["active"]]
    assert active == [preset]


@pytest.mark.django_db
def test_without_parameters_the_home_shows_the_last_30_days(member_a, organization):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        dashboard = member_a.get(HOME).context["dashboard"]
    assert (dashboard.query.date_from, dashboard.query.date_to) == PRESET_DAYS["30d"]


@pytest.mark.django_db
def test_custom_days_win_over_no_preset_and_a_preset_wins_over_days(member_a, organization):
    custom = member_a.get(HOME, _custom(FIRST, LAST)).context
    assert (custom["dashboard"].query.date_from, custom["dashboard"].query.date_to) == (FIRST, LAST)
    assert custom["selected"]["period"] == "custom"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        preset = member_a.get(HOME, {"period": "7d", **_custom(FIRST, LAST)}).context["dashboard"]
    assert (preset.query.date_from, preset.query.date_to) == PRESET_DAYS["7d"]


def test_preset_edges():
    assert preset_range("last_month", date(2024, 1, 15)) == (date(2023, 12, 1), date(2023, 12, 31))
    assert preset_range("this_year", date(2024, 12, 31)) == (date(2024, 1, 1), date(2024, 12, 31))
    assert preset_range("last_month", date(2024, 3, 31)) == (date(2024, 2, 1), date(2024, 2, 29))


# --- Figures equal reporting v1 ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("screen", "wire"), FILTERS)
def test_kpis_and_previous_period_equal_reporting_v1(member_a, api, sales, targets, screen, wire):
    response = member_a.get(HOME, _custom(FIRST, LAST, **_resolve(screen, targets)))
    assert response.status_code == 200
    kpis = {kpi["key"]: kpi for kpi in response.context["kpis"]}
    current = _api(api, "/conversions/totals", FIRST, LAST, **_resolve(wire, targets))
    previous = _api(api, "/conversions/totals", PREVIOUS_FIRST, PREVIOUS_LAST, **_resolve(wire, targets))
    for key, read in KPI_FIELDS.items():
        assert kpis[key]["value"] == _dec(read(current)), key
        assert kpis[key]["previous"] == _dec(read(previous)), key
        assert kpis[key]["change"] == _dec(read(current)) - _dec(read(previous)), key
    if screen == {}:
        assert kpis["revenue"]["value"] > 0 and kpis["revenue"]["previous"] > 0  # a real comparison
        assert kpis["refunded"]["value"] > 0 and kpis["net_revenue"]["value"] < kpis["revenue"]["value"]
        rate = kpis["refunded"]["value"] * 100 / kpis["revenue"]["value"]
        assert kpis["refund_rate"]["value"] == rate.quantize(Decimal("0.1"), ROUND_HALF_UP)


@pytest.mark.django_db
@pytest.mark.parametrize(("screen", "wire"), [FILTERS[0], FILTERS[3], FILTERS[7]])
def test_chart_buckets_and_previous_series_equal_reporting_v1(member_a, api, sales, targets, screen, wire):
    dashboard = member_a.get(HOME, _custom(FIRST, LAST, **_resolve(screen, targets))).context["dashboard"]
    assert dashboard.interval == "day"
    history = _api(api, "/conversions/history", FIRST, LAST, interval="day", **_resolve(wire, targets))["history"]
    assert [
        (row.key.isoformat(), row.amount_with_tax, row.number, row.unique_contacts) for row in dashboard.history
    ] == [
        (row["date"], _dec(row["conversionsAmountWTax"]), _dec(row["conversionsNumber"]), row["uniqueContacts"])
        for row in history
    ]
    before = _api(api, "/conversions/history", PREVIOUS_FIRST, PREVIOUS_LAST, interval="day", **_resolve(wire, targets))
    assert [(row.first.isoformat(), row.amount_with_tax, row.number) for row in dashboard.previous_history] == [
        (row["date"], _dec(row["conversionsAmountWTax"]), _dec(row["conversionsNumber"])) for row in before["history"]
    ]


@pytest.mark.django_db
def test_weekly_buckets_and_their_previous_weeks_equal_reporting_v1(member_a, api, sales):
    first, last = date(2024, 6, 19), date(2024, 7, 30)  # 42 days from a Wednesday: weeks cut at both ends
    dashboard = member_a.get(HOME, _custom(first, last)).context["dashboard"]
    assert dashboard.interval == "week"
    weeks = _api(api, "/conversions/history", first, last, interval="week")["history"]
    assert [(row.key.isoformat(), row.amount_with_tax) for row in dashboard.history] == [
        (row["date"], _dec(row["conversionsAmountWTax"])) for row in weeks
    ]
    days = {
        row["date"]: row
        for row in _api(api, "/conversions/history", first - timedelta(days=42), first - timedelta(days=1))["history"]
    }
    for row, before in zip(dashboard.history, dashboard.previous_history, strict=True):
        bucket_first, bucket_last = dashboard.bucket_days(row)
        assert (before.first, before.last) == (bucket_first - timedelta(days=42), bucket_last - timedelta(days=42))
        shifted = [
            days[(before.first + timedelta(days=offset)).isoformat()]
            for offset in range((before.last - before.first).days + 1)
        ]
        assert before.amount_with_tax == sum((_dec(day["conversionsAmountWTax"]) for day in shifted), Decimal(0))
        assert before.number == sum((_dec(day["conversionsNumber"]) for day in shifted), Decimal(0))
    previous_total = _api(api, "/conversions/totals", first - timedelta(days=42), first - timedelta(days=1))
    assert sum((row.amount_with_tax for row in dashboard.previous_history), Decimal(0)) == _dec(
        previous_total["conversions"]["conversionsAmountWTax"]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("screen", "wire"), [FILTERS[0], FILTERS[1], FILTERS[6]])
def test_breakdowns_and_top_lists_equal_reporting_v1(member_a, api, sales, targets, screen, wire):
    context = member_a.get(HOME, _custom(FIRST, LAST, **_resolve(screen, targets))).context
    wire = _resolve(wire, targets)
    totals = _api(api, "/conversions/totals", FIRST, LAST, **wire)
    by_currency, by_country, by_origin = (breakdown["rows"] for breakdown in context["breakdowns"])
    assert {row["key"]: row["amount_with_tax"] for row in by_currency} == {
        row["currency"]: _dec(row["conversionAmountWTaxReference"]) for row in totals["conversions"]["breakdown"]
    }
    for row in by_country:
        if row["key"]:  # the API cannot filter on "no country"
            answer = _api(api, "/conversions/totals", FIRST, LAST, **{**wire, "country": row["key"]})
            assert row["amount_with_tax"] == _dec(answer["conversions"]["conversionsAmountWTax"])
            assert row["number"] == _dec(answer["conversions"]["conversionsNumber"])
    total = _dec(totals["conversions"]["conversionsAmountWTax"])
    for rows in (by_country, by_origin):
        assert sum((row["amount_with_tax"] for row in rows), Decimal(0)) == total
    assert {row["label"] for row in by_origin} <= {"website", "app", "partner", "(none)"}
    dashboard = context["dashboard"]
    for rows, wire_name in ((dashboard.campaigns, "campaignId"), (dashboard.deliveries, "deliveryId")):
        assert rows
        for row in rows:
            credited = _api(api, "/conversions/totals", FIRST, LAST, **{**wire, wire_name: str(row.id)})
            assert row.amount_with_tax == _dec(credited["conversions"]["conversionsAmountWTax"]), row.name
            assert row.number == _dec(credited["conversions"]["conversionsNumber"]), row.name


@pytest.mark.django_db
def test_filters_narrow_the_figures(member_a, sales, targets):
    def revenue(**params):
        return member_a.get(HOME, _custom(FIRST, LAST, **params)).context["totals"].amount_with_tax

    everything = revenue()
    for params in ({"type": "signup"}, {"country": "SK"}, {"currency": "CZK"}, {"delivery": str(targets["cart"].pk)}):
        narrowed = revenue(**params)
        assert 0 < narrowed < everything, params
    assert revenue(status="all") > everything


# --- Chart ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "interval"), [(1, "day"), (31, "day"), (32, "week"), (185, "week"), (190, "week"), (191, "month")]
)
def test_buckets_are_chosen_by_the_length_of_the_range(days, interval):
    first = date(2024, 1, 1)
    assert bucket_interval(first, first + timedelta(days=days - 1)) == interval


@pytest.mark.django_db
@pytest.mark.parametrize("days", [30, 185, 366])
def test_the_chart_has_axes_labels_values_tooltips_and_a_fixed_width(member_a, sales, days):
    response = member_a.get(HOME, _custom(LAST - timedelta(days=days - 1), LAST))
    page = response.content.decode()
    chart = response.context["chart"]
    assert len(chart["buckets"]) <= 31
    assert re.search(r'<svg id="revenue-chart"[^>]*viewBox="0 0 880 300"[^>]*width="100%"', page)
    assert len(chart["ticks"]) >= 3 and chart["ticks"][0]["label"] == "0"
    svg = page[page.index('<svg id="revenue-chart"') : page.index("</svg>", page.index('<svg id="revenue-chart"'))]
    assert svg.count("<title>") == len(chart["buckets"])
    assert "Previous period" in chart["buckets"][-1]["tooltip"]
    assert any(bucket["x_label"] for bucket in chart["buckets"])
    assert all(bucket["value_label"] for bucket in chart["buckets"] if bucket["amount"])
    assert chart["previous_points"].count(",") == len(chart["buckets"])
    assert max(bucket["x"] + chart["bar_width"] for bucket in chart["buckets"]) <= chart["plot_right"]


# --- Locale ---------------------------------------------------------------------------------------------------------


def test_numbers_follow_the_locale():
    assert NumberFormat("en").money(Decimal("1234470.72"), "EUR") == "1,234,470.72 EUR"
    assert NumberFormat("de").money(Decimal("1234470.72"), "EUR") == "1.234.470,72 EUR"
    assert NumberFormat("cs").money(Decimal("1234470.7"), "CZK") == "1\xa0234\xa0470,70 CZK"
    assert NumberFormat("en").count(Decimal("12345")) == "12,345"
    assert NumberFormat("en").count(Decimal("2.50")) == "2.50"
    assert NumberFormat("en").compact(Decimal("12345.67")) == "12.3k"
    assert NumberFormat("hi").number(Decimal("1234567"), 0) == "1,234,567"  # a locale without grouping still groups


@pytest.mark.django_db
def test_the_page_formats_numbers_for_the_users_language(member_a, sales):
    revenue = member_a.get(HOME, _custom(FIRST, LAST)).context["totals"].amount_with_tax
    assert revenue > 1000
    english = member_a.get(HOME, _custom(FIRST, LAST), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    german = member_a.get(HOME, _custom(FIRST, LAST), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert NumberFormat("en").money(revenue, "EUR") in english
    assert NumberFormat("de").money(revenue, "EUR") in german
    assert f"{revenue} EUR" not in german


# --- CSV ------------------------------------------------------------------------------------------------------------


def _csv_blocks(text: str) -> dict[str, list[list[str]]]:
    blocks, current = {}, None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None:
            current = blocks.setdefault(row[0], [])
        else:
            current.append(row)
    return blocks


@pytest.mark.django_db
@pytest.mark.parametrize(("screen", "wire"), [FILTERS[0], FILTERS[4], FILTERS[7]])
def test_the_csv_export_holds_what_is_on_screen(member_a, api, sales, targets, screen, wire):
    response = member_a.get(HOME, _custom(FIRST, LAST, **_resolve(screen, targets)))
    context, page = response.context, response.content.decode()
    export = context["export_link"].replace("&amp;", "&")
    assert export.startswith(DASHBOARD) and "format=csv" in export and export.replace("&", "&amp;") in page
    download = member_a.get(export)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    blocks = _csv_blocks(download.content.decode())

    meta = dict(blocks["dashboard"])
    assert (meta["date_from"], meta["date_to"], meta["previous_date_from"]) == (
        "2024-07-01",
        "2024-07-30",
        "2024-06-01",
    )
    numbers = NumberFormat("en")
    for (key, _label, value, previous, change, percent, _unit), kpi in zip(blocks["kpi"], context["kpis"], strict=True):
        assert (key, _dec(value), _dec(previous), _dec(change)) == (
            kpi["key"], kpi["value"], kpi["previous"], kpi["change"]
        )  # fmt: skip
        assert (percent and _dec(percent)) == (kpi["percent"] if kpi["percent"] is not None else "")
        assert kpi["value_text"] in page
    current = _api(api, "/conversions/totals", FIRST, LAST, **_resolve(wire, targets))
    assert _dec(dict((row[0], row[2]) for row in blocks["kpi"])["revenue"]) == _dec(
        current["conversions"]["conversionsAmountWTax"]
    )
    buckets = blocks["bucket"]
    assert [(row[0], _dec(row[4]), _dec(row[9])) for row in buckets] == [
        (row.key.isoformat(), row.amount_with_tax, before.amount_with_tax)
        for row, before in zip(context["dashboard"].history, context["dashboard"].previous_history, strict=True)
    ]
    for block, breakdown in zip(("by_currency", "by_country", "by_origin"), context["breakdowns"], strict=True):
        assert [(row[0], _dec(row[1]), _dec(row[2])) for row in blocks[block]] == [
            (row["label"], row["number"], row["amount_with_tax"]) for row in breakdown["rows"]
        ]
        for row in breakdown["rows"]:
            assert row["amount_text"] in page
    for block, rows in (
        ("top_campaign", context["dashboard"].campaigns),
        ("top_delivery", context["dashboard"].deliveries),
    ):
        assert [(row[0], row[1], _dec(row[2]), _dec(row[3])) for row in blocks[block]] == [
            (row.name, str(row.id), row.number, row.amount_with_tax) for row in rows
        ]
        for row in rows:
            assert numbers.money(row.amount_with_tax, "EUR") in page


@pytest.mark.django_db
def test_an_invalid_csv_request_is_a_400_with_the_reason(member_a, organization):
    response = member_a.get(DASHBOARD, {"format": "csv", "date_from": "2024-02-02", "date_to": "2024-02-01"})
    assert response.status_code == 400 and b"Must not be before the start date." in response.content


# --- Tenancy and the old URL -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_never_sees_another_organizations_figures(member_a, member_b, organization, sales, targets):
    for client, url in ((member_b, HOME), (member_b, DASHBOARD)):
        response = client.get(url, {"organization": str(organization.pk), **_custom(FIRST, LAST)})
        assert response.status_code == 200
        assert "totals" not in response.context and "dashboard" not in response.context
        assert "Spring sale" not in response.content.decode()
    csv_answer = member_b.get(
        DASHBOARD, {"organization": str(organization.pk), "format": "csv", **_custom(FIRST, LAST)}
    )
    assert csv_answer.status_code == 400 and b"Spring" not in csv_answer.content
    # A's own dashboard with B's campaign id is refused too, and A never sees B's sale.
    response = member_a.get(HOME, _custom(FIRST, LAST))
    assert "98,765.43" not in response.content.decode()
    foreign = campaign_create(organization=response.context["dashboard"].query.organization.__class__.objects.get(
        slug="globex"), name="Globex campaign")  # fmt: skip
    refused = member_a.get(HOME, _custom(FIRST, LAST, campaign=str(foreign.pk)))
    assert "totals" not in refused.context and "There is no such campaign" in refused.content.decode()


@pytest.mark.django_db
def test_a_superuser_chooses_the_organization(root, organization, other_organization, sales):
    own = root.get(HOME, {"organization": str(other_organization.pk), **_custom(FIRST, LAST)}).context
    assert own["dashboard"].query.organization == other_organization
    assert own["totals"].amount_with_tax == Decimal("98765.43") and own["totals"].currency == "USD"
    page = root.get(HOME, _custom(FIRST, LAST)).content.decode()
    assert 'name="organization"' in page and "Globex" in page and "Acme" in page


@pytest.mark.django_db
def test_a_staff_user_without_organization_gets_no_dashboard(db, organization):
    loner = _client(user_create_staff(username="dash-loner", password="unused-password-l"))
    response = loner.get(HOME)
    assert response.status_code == 200 and "dashboard" not in response.context
    assert "not a member of any organization" in response.content.decode()
    assert loner.get(DASHBOARD).status_code == 403


@pytest.mark.django_db
def test_the_dashboard_url_renders_the_same_page(member_a, sales):
    params = _custom(FIRST, LAST, type="purchase")
    home, old = member_a.get(HOME, params), member_a.get(DASHBOARD, params)
    assert old.status_code == 200
    assert old.context["totals"] == home.context["totals"] and old.context["kpis"] == home.context["kpis"]


@pytest.mark.django_db
def test_the_dashboard_reads_only_the_reporting_selectors(member_a, sales, monkeypatch):
    """One aggregation path: with the selectors' aggregate reads replaced, the dashboard has no figures left."""
    calls = []
    original = dashboard_module.selectors.conversions_totals

    def spy(query, **kwargs):
        calls.append((query.date_from, query.date_to))
        return original(query, **kwargs)

    monkeypatch.setattr(dashboard_module.selectors, "conversions_totals", spy)
    member_a.get(HOME, _custom(FIRST, LAST))
    assert calls == [(FIRST, LAST), (PREVIOUS_FIRST, PREVIOUS_LAST)]


@pytest.mark.django_db
def test_the_home_needs_a_bounded_number_of_queries(member_a, journeys, django_assert_max_num_queries):
    # 43 today: 39 for the selectors' figures, 4 for the model comparison (its dirty days, its rollup, campaign and
    # delivery names); a dirty day's raw reads are in both counts.
    with django_assert_max_num_queries(45):
        member_a.get(HOME, _custom(FIRST, LAST))


# --- Attribution models compared ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_models_table_and_chart_equal_the_comparison_api(member_a, api, journeys):
    response = member_a.get(HOME, _custom(FIRST, LAST))
    section, html = response.context["models_compared"], response.content.decode()
    answer = _api(api, "/attribution/comparison", FIRST, LAST)
    assert [row["model"] for row in section["rows"]] == list(AttributionModel.values)
    assert [row["label"] for row in section["rows"]] == [
        "Last touch", "First touch", "Linear", "Time decay", "Position based"
    ]  # fmt: skip
    for row in section["rows"]:
        total = answer["totals"][row["model"]]
        assert row["number"] == _dec(total["conversionsNumber"]) and row["number"] == 11
        assert row["amount_with_tax"] == _dec(total["conversionsAmountWTax"]) == Decimal("5600")
        assert row["amount_text"] == NumberFormat("en").money(_dec(total["conversionsAmountWTax"]), "EUR")
    assert answer["totalsEqual"] is True and section["totals_equal"]
    assert _dec(answer["uncredited"]["conversionsNumber"]) > 0 and section["uncredited"]  # the sales have no touches
    assert "Every model credits the same total; they differ in who gets it." in html
    # The chart: the top 8 campaigns of the API's order, one bar per model each, with the API's amounts.
    chart = section["chart"]
    expected = answer["campaigns"][:8]
    assert len(answer["campaigns"]) == 10 and len(chart["groups"]) == 8
    assert [str(group["id"]) for group in chart["groups"]] == [row["campaignId"] for row in expected]
    for group, row in zip(chart["groups"], expected, strict=True):
        assert [bar["model"] for bar in group["bars"]] == list(AttributionModel.values)
        for bar in group["bars"]:
            assert bar["amount"] == _dec(row["byModel"][bar["model"]]["conversionsAmountWTax"])
            assert bar["tooltip"].startswith(f"{row['name']}, {AttributionModel(bar['model']).label}: ")
    assert html.count('class="model-bar"') == 8 * 5
    assert html.count("<title>Campaign") >= 8 * 5


@pytest.mark.django_db
@pytest.mark.parametrize(("screen", "wire"), [FILTERS[1], FILTERS[4], FILTERS[5]])
def test_the_models_table_follows_the_filters_like_the_api(member_a, api, journeys, screen, wire):
    section = member_a.get(HOME, _custom(FIRST, LAST, **screen)).context["models_compared"]
    answer = _api(api, "/attribution/comparison", FIRST, LAST, **wire)
    assert {row["model"]: row["amount_with_tax"] for row in section["rows"]} == {
        model: _dec(figures["conversionsAmountWTax"]) for model, figures in answer["totals"].items()
    }


@pytest.mark.django_db
def test_with_a_campaign_chosen_the_models_table_is_that_campaigns_credit(member_a, api, journeys):
    campaign = journeys[3]
    section = member_a.get(HOME, _custom(FIRST, LAST, campaign=str(campaign.pk))).context["models_compared"]
    answer = _api(api, "/attribution/comparison", FIRST, LAST)
    row = next(row for row in answer["campaigns"] if row["campaignId"] == str(campaign.pk))
    assert {item["model"]: item["amount_with_tax"] for item in section["rows"]} == {
        model: _dec(figures["conversionsAmountWTax"]) for model, figures in row["byModel"].items()
    }
    assert section["scope"] == "campaign" and section["scope_name"] == campaign.name
    assert [str(group["id"]) for group in section["chart"]["groups"]] == [str(campaign.pk)]
    assert not section["totals_equal"] and not section["uncredited"]


@pytest.mark.django_db
def test_an_empty_range_shows_a_friendly_empty_state(member_a, organization):
    response = member_a.get(HOME, _custom(date(2020, 1, 1), date(2020, 1, 31)))
    section = response.context["models_compared"]
    assert section["empty"] and section["chart"]["empty"] and not section["totals_equal"]
    assert [row["number"] for row in section["rows"]] == [0] * 5
    html = response.content.decode()
    assert 'id="models-empty"' in html and 'id="credit-by-model-empty"' in html
    assert 'id="credit-by-model-chart"' not in html
