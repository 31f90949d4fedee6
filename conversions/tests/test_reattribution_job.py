"""Changing an organization's defaults applies to new conversions only; a re-attribution job applies them to a
range of local days: chunked, resumable after a crash, a second run changes nothing, explicit credit stays."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.services import organization_update
from contacts.services import contact_create
from conversions import services
from conversions.models import Attribution, Conversion, ReattributionJob, RollupMark
from conversions.services import reattribution
from conversions.services.reattribution import REATTRIBUTION_JOB_MAX_DAYS
from conversions.tests.factories import CampaignFactory
from core.models import FollowUp

PRAGUE = ZoneInfo("Europe/Prague")
DAY = date(2024, 7, 10)
CHUNK = 3
TASK_NAME = "conversions.tasks.reattribution_job_run_task"


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PRAGUE)


class WorkerLost(BaseException):
    """What a killed worker looks like from inside: not an ``Exception`` the job could record as its failure."""


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(reattribution, "REATTRIBUTION_JOB_CHUNK_SIZE", CHUNK)


@pytest.fixture
def journeys(organization):
    """Eight conversions on DAY and the next day, each after a click on "first" (5 days before) and on "last"
    (1 day before), all last touch; one more with explicit credit, one before the range and one after it."""
    first, last = (
        CampaignFactory(organization=organization, name="first"),
        CampaignFactory(organization=organization, name="last"),
    )
    rows = {}
    for index in range(8):
        day = DAY + timedelta(days=index % 2)
        contact = contact_create(organization=organization, email=f"c{index}@example.com")
        for campaign, days_before in ((first, 5), (last, 1)):
            services.touchpoint_create(
                organization=organization,
                contact=contact,
                campaign=campaign,
                kind="click",
                occurred_at=local(day, 9) - timedelta(days=days_before),
            )
        rows[f"in-{index}"] = services.conversion_create(
            organization=organization, contact=contact, order_id=f"in-{index}", revenue=Decimal("10.01"),
            converted_at=local(day, 10),
        )[0]  # fmt: skip
    contact = Conversion.objects.get(order_id="in-0").contact
    rows["explicit"] = services.conversion_create(
        organization=organization, contact=contact, campaign=last, order_id="explicit", converted_at=local(DAY, 11)
    )[0]
    for order_id, day in (("before", DAY - timedelta(days=1)), ("after", DAY + timedelta(days=2))):
        rows[order_id] = services.conversion_create(
            organization=organization, contact=contact, order_id=order_id, converted_at=local(day, 10)
        )[0]
    return {"first": first, "last": last, "conversions": rows}


def _state():
    """Every conversion's model, window and credit (target, weight, money) by order id, and the marked days."""
    credit = {}
    for row in Attribution.objects.select_related("conversion", "campaign").order_by("campaign__name"):
        credit.setdefault(row.conversion.order_id, []).append((row.campaign.name, row.weight, row.revenue))
    conversions = {
        order_id: (model, window, credit.get(order_id, []))
        for order_id, model, window in Conversion.objects.values_list(
            "order_id", "attribution_model", "attribution_window"
        )
    }
    return conversions, sorted(set(RollupMark.objects.values_list("day", flat=True)))


def _run(organization, date_from=DAY, date_to=DAY + timedelta(days=1)):
    job = services.reattribution_job_create(organization=organization, date_from=date_from, date_to=date_to)
    return services.reattribution_job_run(job_id=job.pk)


def test_changing_the_defaults_changes_no_stored_conversion(organization, journeys):
    before = _state()
    history, follow_ups = Conversion.history.count(), FollowUp.objects.count()
    organization_update(
        organization=organization, default_attribution_model="first_touch", default_attribution_window=30
    )
    assert _state() == before
    assert Conversion.history.count() == history
    assert FollowUp.objects.count() == follow_ups  # nothing was queued to re-attribute them either
    new = services.conversion_create(organization=organization, order_id="new", converted_at=local(DAY, 12))[0]
    assert (new.attribution_model, new.attribution_window) == ("first_touch", 30)


def test_a_job_applies_the_current_defaults_to_the_range_and_keeps_explicit_credit(organization, journeys):
    organization_update(
        organization=organization, default_attribution_model="first_touch", default_attribution_window=9
    )
    RollupMark.objects.all().delete()
    history = Conversion.history.count()
    job = _run(organization)
    assert (job.status, job.total, job.processed, job.changed, job.percent) == ("done", 8, 8, 8, 100)
    assert job.started_at is not None and job.finished_at >= job.started_at
    conversions, marked = _state()
    for index in range(8):
        assert conversions[f"in-{index}"] == ("first_touch", 9, [("first", Decimal(1), Decimal("10.01"))])
    assert conversions["explicit"] == ("last_touch", 7, [("last", Decimal(1), Decimal("0.00"))])
    assert conversions["before"][:2] == conversions["after"][:2] == ("last_touch", 7)
    assert marked == [DAY, DAY + timedelta(days=1)]
    assert Conversion.history.count() == history + 8
    latest = journeys["conversions"]["in-3"].history.order_by("-history_date").first()
    assert (latest.history_type, latest.attribution_model) == ("~", "first_touch")


def test_a_second_run_changes_nothing(organization, journeys):
    organization_update(organization=organization, default_attribution_model="linear")
    _run(organization)
    state, history, marks = _state(), Conversion.history.count(), RollupMark.objects.count()
    again = _run(organization)
    assert (again.status, again.processed, again.changed) == ("done", 8, 0)
    assert (_state(), Conversion.history.count(), RollupMark.objects.count()) == (state, history, marks)


def _clean_result(organization):
    with transaction.atomic():
        _run(organization)
        result = _state()
        transaction.set_rollback(True)
    return result


def test_a_worker_killed_mid_chunk_then_a_rerun_gives_the_same_result(organization, journeys, monkeypatch):
    organization_update(organization=organization, default_attribution_model="first_touch")
    expected = _clean_result(organization)
    real_attribute, calls = reattribution.conversion_attribute, []

    def killed_on_the_fifth(**kwargs):
        calls.append(kwargs["conversion"].order_id)
        if len(calls) == CHUNK + 2:  # in the middle of the second chunk
            raise WorkerLost
        return real_attribute(**kwargs)

    monkeypatch.setattr(reattribution, "conversion_attribute", killed_on_the_fifth)
    job = services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY + timedelta(days=1))
    with pytest.raises(WorkerLost):
        services.reattribution_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed) == ("running", CHUNK)  # the first chunk committed, the second rolled back
    assert Conversion.objects.filter(attribution_model="first_touch").count() == CHUNK
    monkeypatch.setattr(reattribution, "conversion_attribute", real_attribute)
    job = services.reattribution_job_run(job_id=job.pk)  # the redelivered task
    assert (job.status, job.processed, job.total) == ("done", 8, 8)
    assert _state() == expected


def test_an_error_fails_the_job_with_its_message_and_a_resume_finishes_it(organization, journeys, monkeypatch):
    organization_update(organization=organization, default_attribution_model="linear")
    expected = _clean_result(organization)
    real_attribute, calls = reattribution.conversion_attribute, []

    def broken_on_the_fourth(**kwargs):
        calls.append(1)
        if len(calls) == CHUNK + 1:
            raise ValueError("bad data")
        return real_attribute(**kwargs)

    monkeypatch.setattr(reattribution, "conversion_attribute", broken_on_the_fourth)
    job = services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY + timedelta(days=1))
    with pytest.raises(ValueError):
        services.reattribution_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.error) == ("failed", CHUNK, "ValueError: bad data")
    assert services.reattribution_job_run(job_id=job.pk).processed == CHUNK  # a re-sent task leaves it alone
    monkeypatch.setattr(reattribution, "conversion_attribute", real_attribute)
    services.reattribution_job_resume(job=job)
    job = services.reattribution_job_run(job_id=job.pk)
    assert (job.status, job.processed, job.error) == ("done", 8, "")
    assert _state() == expected
    with pytest.raises(ValidationError):
        services.reattribution_job_resume(job=job)  # only a failed job


def test_creating_a_job_records_its_task_with_it_and_the_task_runs_it(
    organization, journeys, django_capture_on_commit_callbacks
):
    organization_update(organization=organization, default_attribution_model="first_touch")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY)
        assert FollowUp.objects.filter(task=TASK_NAME, args=[str(job.pk)]).exists()
    job.refresh_from_db()
    assert (job.status, job.total, job.processed) == ("done", 4, 4)
    assert not FollowUp.objects.filter(task=TASK_NAME).exists()  # the task succeeded, so its follow-up is gone


def test_a_run_past_its_time_enqueues_the_rest(organization, journeys):
    job = services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY + timedelta(days=1))
    FollowUp.objects.all().delete()
    job = services.reattribution_job_run(job_id=job.pk, max_seconds=0)
    assert (job.status, job.processed, job.percent) == ("running", CHUNK, CHUNK * 100 // 8)
    assert list(FollowUp.objects.values_list("task", "args")) == [(TASK_NAME, [str(job.pk)])]


def test_a_job_that_is_gone_is_skipped(organization):
    assert services.reattribution_job_run(job_id="00000000-0000-0000-0000-000000000000") is None


def test_an_empty_range_is_done_at_once(organization):
    job = _run(organization)
    assert (job.status, job.total, job.processed, job.percent) == ("done", 0, 0, 100)


def test_a_job_only_touches_its_own_organization(organization, other_organization, journeys):
    services.conversion_create(organization=other_organization, order_id="other", converted_at=local(DAY, 10))
    organization_update(organization=other_organization, default_attribution_model="linear")
    job = _run(other_organization)
    assert job.processed == 1
    assert Conversion.objects.filter(organization=organization, attribution_model="linear").count() == 0


@pytest.mark.parametrize(
    ("days", "valid"), [(1, True), (REATTRIBUTION_JOB_MAX_DAYS, True), (REATTRIBUTION_JOB_MAX_DAYS + 1, False)]
)
def test_the_range_is_limited_to_a_year(organization, days, valid):
    date_to = DAY + timedelta(days=days - 1)
    if valid:
        services.reattribution_job_create(organization=organization, date_from=DAY, date_to=date_to)
    else:
        with pytest.raises(ValidationError) as error:
            services.reattribution_job_create(organization=organization, date_from=DAY, date_to=date_to)
        assert "date_to" in error.value.message_dict
    assert ReattributionJob.objects.count() == int(valid)


def test_a_range_that_ends_before_it_starts_is_refused_and_stores_nothing(organization):
    with pytest.raises(ValidationError) as error:
        services.reattribution_job_create(organization=organization, date_from=DAY, date_to=DAY - timedelta(days=1))
    assert "date_to" in error.value.message_dict
    assert not ReattributionJob.objects.exists() and not FollowUp.objects.exists()
