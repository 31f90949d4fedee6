"""A re-attribution job leaves every report exact: the rollups (folded before the job, drained after it, or drained
in the middle of a crashed job) agree with a recount from raw rows, and the credit reports move to the new model.
Here rather than in conversions/tests because it reads the reporting app, which sits above conversions."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.services import organization_update
from contacts.services import contact_create
from conversions import services
from conversions.services import reattribution
from conversions.tests.factories import CampaignFactory
from reporting import services as reporting
from reporting.aggregation import Filters
from reporting.selectors import ReadMode, ReportQuery, conversions_top_targets, conversions_totals

PRAGUE = ZoneInfo("Europe/Prague")
DAY = date(2024, 7, 10)
FIRST, LAST = DAY - timedelta(days=3), DAY + timedelta(days=3)
ALL_STATUSES = Filters(statuses=("approved", "pending", "rejected", "refunded"))

pytestmark = pytest.mark.django_db


class WorkerLost(BaseException):
    pass


@pytest.fixture
def shop(organization, monkeypatch):
    """Seven conversions over three days after clicks on "early" (4 days before) and "late" (2 hours before),
    one with explicit credit to "late", all folded into the rollups."""
    monkeypatch.setattr(reattribution, "REATTRIBUTION_JOB_CHUNK_SIZE", 2)
    early, late = (
        CampaignFactory(organization=organization, name="early"),
        CampaignFactory(organization=organization, name="late"),
    )
    for index in range(7):
        converted_at = datetime.combine(DAY + timedelta(days=index % 3), time(12), tzinfo=PRAGUE)
        contact = contact_create(organization=organization, email=f"c{index}@example.com")
        for campaign, before in ((early, timedelta(days=4)), (late, timedelta(hours=2))):
            services.touchpoint_create(
                organization=organization, contact=contact, campaign=campaign, kind="click",
                occurred_at=converted_at - before,
            )  # fmt: skip
        services.conversion_create(
            organization=organization, contact=contact, order_id=f"o-{index}", revenue=Decimal(f"{index + 1}0.01"),
            status="approved" if index % 2 else "pending", converted_at=converted_at,
            campaign=late if index == 6 else None,
        )  # fmt: skip
    reporting.rollup_drain()
    return {"early": early, "late": late}


def _reports(organization, mode):
    query = ReportQuery(organization, FIRST, LAST, ALL_STATUSES)
    return (
        conversions_totals(query, mode=mode),
        conversions_top_targets(query, target="campaign", limit=10, mode=mode),
    )


def _assert_exact(organization):
    assert _reports(organization, ReadMode.AUTO) == _reports(organization, ReadMode.RAW)
    reporting.rollup_drain()
    assert _reports(organization, ReadMode.AUTO) == _reports(organization, ReadMode.RAW)
    assert reporting.rollup_repair(organization_id=organization.pk, since=FIRST, until=LAST) == []


def _credited(organization):
    rows = _reports(organization, ReadMode.RAW)[1]
    return {row.key: row.amount_with_tax for row in rows}


def _run(organization):
    job = services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY + timedelta(days=2))
    return services.reattribution_job_run(job_id=job.pk)


def test_reports_are_exact_after_a_job_and_the_credit_moves(organization, shop):
    early, late = shop["early"], shop["late"]
    before = _credited(organization)
    assert before.get(early.pk, 0) == 0  # last touch: everything to "late"
    organization_update(organization=organization, default_attribution_model="first_touch")
    assert _credited(organization) == before  # the new default alone moves nothing
    assert _run(organization).status == "done"
    _assert_exact(organization)
    after = _credited(organization)
    assert after[early.pk] > 0 and after[late.pk] < before[late.pk]
    assert sum(after.values()) == sum(before.values())  # the money moved, none appeared or vanished


def test_reports_are_exact_after_a_crash_a_drain_in_between_and_a_rerun(organization, shop, monkeypatch):
    organization_update(organization=organization, default_attribution_model="linear")
    real_attribute, calls = reattribution.conversion_attribute, []

    def killed_on_the_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise WorkerLost
        return real_attribute(**kwargs)

    monkeypatch.setattr(reattribution, "conversion_attribute", killed_on_the_third)
    job = services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY + timedelta(days=2))
    with pytest.raises(WorkerLost):
        services.reattribution_job_run(job_id=job.pk)
    _assert_exact(organization)  # half done is still exact: the beat drain folds what committed
    monkeypatch.setattr(reattribution, "conversion_attribute", real_attribute)
    assert services.reattribution_job_run(job_id=job.pk).status == "done"
    _assert_exact(organization)
    credited = _credited(organization)
    assert credited[shop["early"].pk] > 0 and credited[shop["late"].pk] > credited[shop["early"].pk]
