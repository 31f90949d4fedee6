"""The admin's "Re-attribute a date range" form and the re-attribution jobs' list and read-only detail: scoped to
the staff member's organization, a count before anything starts, the range limits, progress, resume."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.services import organization_update
from conversions.models import ReattributionJob
from conversions.services import REATTRIBUTION_JOB_MAX_DAYS, conversion_create
from conversions.tests.admin_helpers import CHANGELIST as CONVERSIONS
from core.models import FollowUp

ADD = reverse("admin:conversions_reattributionjob_add")
JOBS = reverse("admin:conversions_reattributionjob_changelist")
TASK_NAME = "conversions.tasks.reattribution_job_run_task"
DAY = date(2024, 7, 10)


def _detail(job):
    return reverse("admin:conversions_reattributionjob_change", args=[job.pk])


def _form(date_from=DAY, date_to=DAY, **extra):
    return {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), **extra}


def _key(organization, date_from=DAY, date_to=DAY):
    return f"{organization.pk}|{date_from}|{date_to}"


@pytest.fixture
def in_range(organization):
    """Two conversions on DAY (Prague) without explicit credit."""
    return [
        conversion_create(
            organization=organization, order_id=f"r-{index}", converted_at=datetime(2024, 7, 10, 10 + index, tzinfo=UTC)
        )[0]
        for index in range(2)
    ]


def _job(organization, **fields):
    values = {"date_from": DAY, "date_to": DAY, "total": 10, "processed": 4, "status": "running", **fields}
    return ReattributionJob.objects.create(organization=organization, **values)


@pytest.mark.django_db
def test_the_form_counts_first_and_starts_nothing(admin_a, organization, in_range):
    organization_update(organization=organization, default_attribution_model="linear")
    response = admin_a.post(ADD, _form(check="1"))
    assert response.status_code == 200
    body = " ".join(response.content.decode().split())  # as read, without the template's line breaks
    assert "2 conversions of Acme from 2024-07-10 to 2024-07-10 (Europe/Prague)" in body
    assert "Linear" in body and "0 of them already have these settings" in body
    assert not ReattributionJob.objects.exists()


@pytest.mark.django_db
def test_starting_creates_a_job_of_the_staff_members_organization_with_its_task(
    admin_a, staff_a, organization, in_range
):
    response = admin_a.post(ADD, _form(start="1", previewed=_key(organization)))
    job = ReattributionJob.objects.get()
    assert response.status_code == 302 and response.url == _detail(job)
    assert (job.organization, job.created_by, job.total, job.date_from, job.date_to) == (
        organization, staff_a, 2, DAY, DAY,
    )  # fmt: skip
    assert FollowUp.objects.filter(task=TASK_NAME, args=[str(job.pk)]).exists()


@pytest.mark.django_db
def test_starting_a_range_other_than_the_one_counted_counts_it_first(admin_a, organization, in_range):
    response = admin_a.post(ADD, _form(date_to=DAY + timedelta(days=1), start="1", previewed=_key(organization)))
    assert response.status_code == 200 and "will be" in response.content.decode()
    assert not ReattributionJob.objects.exists()


@pytest.mark.django_db
def test_a_range_that_ends_before_it_starts_is_a_form_error(admin_a, organization):
    day_before = DAY - timedelta(days=1)
    response = admin_a.post(ADD, _form(date_to=day_before, start="1", previewed=_key(organization, DAY, day_before)))
    assert response.status_code == 200
    assert "Must not be before the first day." in response.content.decode()
    assert not ReattributionJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "valid"), [(REATTRIBUTION_JOB_MAX_DAYS, True), (REATTRIBUTION_JOB_MAX_DAYS + 1, False)]
)
def test_the_range_limit_at_its_edges(admin_a, organization, days, valid):
    date_to = DAY + timedelta(days=days - 1)
    response = admin_a.post(ADD, _form(date_to=date_to, start="1", previewed=_key(organization, DAY, date_to)))
    assert (response.status_code == 302) == valid
    assert ReattributionJob.objects.count() == int(valid)
    if not valid:
        assert f"At most {REATTRIBUTION_JOB_MAX_DAYS} days" in response.content.decode()


@pytest.mark.django_db
def test_a_superuser_chooses_the_organization(admin_root, organization, other_organization):
    assert 'name="organization"' in admin_root.get(ADD).content.decode()
    response = admin_root.post(
        ADD, _form(organization=str(other_organization.pk), start="1", previewed=_key(other_organization))
    )
    assert response.status_code == 302
    assert ReattributionJob.objects.get().organization == other_organization


@pytest.mark.django_db
def test_a_member_does_not_choose_an_organization(admin_a):
    assert 'name="organization"' not in admin_a.get(ADD).content.decode()


@pytest.mark.django_db
def test_another_organizations_job_is_invisible(admin_a, organization, other_organization):
    mine, theirs = _job(organization, date_from=DAY), _job(other_organization, date_from=DAY - timedelta(days=40))
    listing = admin_a.get(JOBS).content.decode()
    assert str(mine.date_from) in listing and str(theirs.date_from) not in listing
    assert admin_a.get(_detail(theirs)).status_code == 302  # Django's "does not exist" redirect to the index
    assert admin_a.get(_detail(mine)).status_code == 200


@pytest.mark.django_db
def test_the_list_and_the_detail_show_progress_and_refresh_while_running(admin_a, organization):
    job = _job(organization)
    for url in (JOBS, _detail(job)):
        body = admin_a.get(url).content.decode()
        assert "40 % (4 of 10)" in body and 'http-equiv="refresh"' in body
    ReattributionJob.objects.filter(pk=job.pk).update(status="done", processed=10)
    for url in (JOBS, _detail(job)):
        body = admin_a.get(url).content.decode()
        assert "100 % (10 of 10)" in body and 'http-equiv="refresh"' not in body


@pytest.mark.django_db
def test_the_detail_is_read_only(admin_a, organization):
    job = _job(organization)
    response = admin_a.get(_detail(job))
    assert 'name="processed"' not in response.content.decode() and 'name="_save"' not in response.content.decode()
    assert admin_a.post(_detail(job), {"processed": "10", "status": "done"}).status_code == 403
    job.refresh_from_db()
    assert (job.processed, job.status) == (4, "running")


@pytest.mark.django_db
def test_resume_queues_failed_jobs_only(admin_a, organization):
    failed, running = _job(organization, status="failed", error="boom"), _job(organization)
    response = admin_a.post(JOBS, {"action": "resume", "_selected_action": [str(failed.pk), str(running.pk)]})
    assert response.status_code == 302
    failed.refresh_from_db(), running.refresh_from_db()
    assert (failed.status, failed.error, running.status) == ("queued", "", "running")
    assert FollowUp.objects.filter(task=TASK_NAME, args=[str(failed.pk)]).exists()


@pytest.mark.django_db
def test_staff_find_the_form_from_the_conversions_list_and_the_jobs_in_the_sidebar(admin_a):
    listing = admin_a.get(CONVERSIONS).content.decode()
    button = reverse("admin:conversions_conversion_reattribute_range")
    assert button in listing and "Re-attribute a date range" in listing
    assert admin_a.get(button).url == ADD
    assert "Re-attribution jobs" in listing and JOBS in listing
