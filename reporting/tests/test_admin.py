"""The reporting dashboard page and the read-only reporting admin."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_create_staff
from conversions.models import Campaign, Delivery, ExchangeRate, RollupMark
from conversions.services import campaign_create, conversion_create, delivery_create
from reporting import selectors
from reporting.admin import DASHBOARD_MAX_DAYS
from reporting.models import CreditRollup
from reporting.services import rollup_drain

DASHBOARD = reverse("admin:reporting_dashboard")


def _yesterday_noon(organization):
    day = timezone.localdate(timezone=organization.zone) - timedelta(days=1)
    return datetime.combine(day, time(12), tzinfo=organization.zone)


@pytest.fixture
def sales(organization, other_organization):
    when = _yesterday_noon(organization)
    ExchangeRate.objects.create(date=when.date() - timedelta(days=10), currency="CZK", rate=Decimal("25"))
    spring = campaign_create(organization=organization, name="Spring campaign")
    welcome = delivery_create(organization=organization, name="Welcome flow", campaign=spring)
    conversion_create(
        organization=organization, email="a@acme.test", revenue="100.00", converted_at=when, delivery=welcome
    )
    conversion_create(
        organization=organization, email="b@acme.test", revenue="250.00", currency="CZK", converted_at=when
    )
    conversion_create(organization=other_organization, email="c@globex.test", revenue="999.00", converted_at=when)
    rollup_drain()


@pytest.mark.django_db
def test_dashboard_shows_the_selectors_figures_for_the_default_range(admin_a, organization, sales):
    response = admin_a.get(DASHBOARD)
    assert response.status_code == 200
    totals = response.context["totals"]
    first, last = selectors.report_default_range(organization)
    assert totals == selectors.conversions_totals(
        selectors.ReportQuery(organization=organization, date_from=first, date_to=last)
    )
    assert totals.amount_with_tax == Decimal("110.00") and totals.number == 2 and totals.unique_contacts == 2
    assert [row.currency for row in totals.breakdown] == ["CZK", "EUR"]  # equal numbers: by code
    assert len(response.context["history"]) == 30
    page = response.content.decode()
    assert "110.00 EUR" in page and "<svg" in page and "999.00" not in page
    (campaigns_title, campaigns), (deliveries_title, deliveries) = response.context["top_targets"]
    assert campaigns == [{"name": "Spring campaign", "number": 1, "amount_with_tax": Decimal("100.00")}]
    assert deliveries == [{"name": "Welcome flow", "number": 1, "amount_with_tax": Decimal("100.00")}]


@pytest.mark.django_db
def test_dashboard_for_a_chosen_range(admin_a, organization, sales):
    yesterday = _yesterday_noon(organization).date()
    response = admin_a.get(
        DASHBOARD, {"organization": str(organization.pk), "date_from": str(yesterday), "date_to": str(yesterday)}
    )
    assert response.status_code == 200
    assert [row.amount_with_tax for row in response.context["history"]] == [Decimal("110.00")]
    before = admin_a.get(
        DASHBOARD,
        {"organization": str(organization.pk), "date_from": "2020-01-01", "date_to": "2020-01-31"},
    )
    assert before.context["totals"].number == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "valid"), [(DASHBOARD_MAX_DAYS, True), (DASHBOARD_MAX_DAYS + 1, False)])
def test_dashboard_range_limit(admin_a, organization, days, valid):
    first = datetime(2024, 1, 1).date()
    last = first + timedelta(days=days - 1)
    response = admin_a.get(
        DASHBOARD, {"organization": str(organization.pk), "date_from": str(first), "date_to": str(last)}
    )
    assert response.status_code == 200
    assert ("totals" in response.context) is valid
    if not valid:
        assert f"At most {DASHBOARD_MAX_DAYS} days at once." in response.content.decode()


@pytest.mark.django_db
def test_dashboard_start_after_end_is_refused(admin_a, organization):
    response = admin_a.get(
        DASHBOARD, {"organization": str(organization.pk), "date_from": "2024-02-02", "date_to": "2024-02-01"}
    )
    assert "totals" not in response.context
    assert "Must not be before the start date." in response.content.decode()


@pytest.mark.django_db
def test_dashboard_of_another_organization_is_refused(admin_b, organization, sales):
    response = admin_b.get(
        DASHBOARD, {"organization": str(organization.pk), "date_from": "2024-01-01", "date_to": "2024-01-31"}
    )
    assert "totals" not in response.context
    assert "999.00" not in response.content.decode() and "110.00" not in response.content.decode()


@pytest.mark.django_db
def test_dashboard_needs_a_membership(db, organization):
    loner = user_create_staff(username="loner", password="unused-password-l")
    client = Client()
    client.force_login(loner)
    assert client.get(DASHBOARD).status_code == 403


@pytest.mark.django_db
def test_index_links_to_the_dashboard(admin_a):
    assert DASHBOARD in admin_a.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_rollup_marks_are_read_only_and_scoped(admin_a, admin_b, organization, sales):
    RollupMark.objects.create(organization=organization, day=timezone.localdate())
    changelist = reverse("admin:conversions_rollupmark_changelist")
    assert admin_a.get(changelist).status_code == 200
    assert "Acme" in admin_a.get(changelist).content.decode()
    assert "Acme" not in admin_b.get(changelist).content.decode()
    assert admin_a.get(reverse("admin:conversions_rollupmark_add")).status_code == 403
    mark = RollupMark.objects.filter(organization=organization).first()
    assert (
        admin_a.post(reverse("admin:conversions_rollupmark_delete", args=[mark.pk]), {"post": "yes"}).status_code == 403
    )


@pytest.mark.django_db
def test_top_targets_are_exact_before_the_rollups_catch_up(admin_a, organization, sales):
    spring = Campaign.objects.get(name="Spring campaign")
    welcome = Delivery.objects.get(name="Welcome flow")
    other = campaign_create(organization=organization, name="Other campaign")
    when = _yesterday_noon(organization)
    conversion_create(organization=organization, revenue="40.00", converted_at=when, delivery=welcome)
    conversion_create(organization=organization, revenue="500.00", converted_at=when, campaign=other)
    assert RollupMark.objects.filter(organization=organization).exists()  # not drained: read raw
    (_, campaigns), (_, deliveries) = admin_a.get(DASHBOARD).context["top_targets"]
    assert [(row["name"], row["amount_with_tax"]) for row in campaigns] == [
        ("Other campaign", Decimal("500.00")),
        (spring.name, Decimal("140.00")),
    ]
    assert [(row["name"], row["number"]) for row in deliveries] == [(welcome.name, 2)]


@pytest.mark.django_db
def test_deleting_a_campaign_takes_its_rollup_credit_along(admin_a, organization, sales):
    spring = Campaign.objects.get(name="Spring campaign")
    assert CreditRollup.objects.filter(campaign=spring).exists()
    confirmation = admin_a.get(reverse("admin:conversions_campaign_delete", args=[spring.pk]))
    assert confirmation.status_code == 200 and not confirmation.context["perms_lacking"]
    assert (
        admin_a.post(reverse("admin:conversions_campaign_delete", args=[spring.pk]), {"post": "yes"}).status_code == 302
    )
    assert not CreditRollup.objects.filter(campaign_id=spring.pk).exists()
    rollup = CreditRollup.objects.create(
        organization=organization, day=timezone.localdate(), currency="EUR", type="custom", status="approved"
    )
    assert admin_a.post(reverse("admin:reporting_creditrollup_delete", args=[rollup.pk])).status_code == 403
    assert CreditRollup.objects.filter(pk=rollup.pk).exists()
