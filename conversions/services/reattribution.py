"""Re-attribution of a date range with the organization's current defaults: a tracked background job.

Changing an organization's default model or window changes nothing stored (``organization_update`` only saves
the organization): conversions keep the model and window they were written with, so last month's reports do not
move under anyone's feet. When staff do want the past recomputed, they start a ``ReattributionJob`` for a range of
local days (``reattribution_job_create``); a Celery task (``reattribution_job_run_task``) works through the range's
conversions in chunks with ``reattribution_job_run``.

Each chunk is one transaction: the job row and the chunk's conversions are locked, the defaults are applied to
each conversion without explicit credit (``conversion_apply_organization_defaults``), its credit is recomputed by
``conversion_attribute`` (the same service every other write uses), history rows and rollup marks are written, and
the job's cursor and progress are saved. A crash anywhere rolls the whole chunk back with its cursor, so a rerun
(the outbox re-sends an unfinished task; Celery redelivers one whose worker died) continues from the last
committed chunk, and a second run over done work changes nothing.
"""

import logging
import time
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from conversions.models import Conversion, ReattributionJob
from conversions.selectors import reattribution_conversions
from core.history import history_context

from .base import conversion_days_mark, enqueue_after_commit
from .credit import conversion_attribute
from .events import conversions_event

logger = logging.getLogger(__name__)

REATTRIBUTION_JOB_MAX_DAYS = 366  # a leap year: longer ranges are split into several jobs
REATTRIBUTION_JOB_CHUNK_SIZE = 100  # conversions locked and re-attributed per transaction
# A task run stops after this long and enqueues its continuation: far below the outbox lease (which would send a
# second copy of a task still running) and Celery's time limits, and it lets other tasks have the worker.
REATTRIBUTION_JOB_RUN_SECONDS = 60


def organization_attribution_defaults(organization: Organization) -> dict:
    """The conversion fields and values "the current defaults" stand for: the organization's default model, and its
    click and open windows (a window of the conversion's own no longer overrides them; ``attribution_window`` shows
    the default window as on a new conversion). The one place that says so, for the job and the admin's preview."""
    return {
        "attribution_model": organization.default_attribution_model,
        "attribution_window": organization.default_attribution_window,
        "attribution_window_explicit": False,
    }


def conversion_apply_organization_defaults(conversion: Conversion) -> list[str]:
    """Give a conversion its organization's current attribution defaults; returns the fields that changed."""
    defaults = organization_attribution_defaults(conversion.organization)
    changed = [name for name, value in defaults.items() if getattr(conversion, name) != value]
    for name in changed:
        setattr(conversion, name, defaults[name])
    return changed


def reattribution_range_validate(*, date_from: date | None, date_to: date | None) -> None:
    """The limits of a job's range: both days given, in order, at most ``REATTRIBUTION_JOB_MAX_DAYS`` days."""
    errors: dict[str, list[str]] = {}
    if date_from is None:
        errors["date_from"] = ["Required."]
    if date_to is None:
        errors["date_to"] = ["Required."]
    if errors:
        raise ValidationError(errors)
    if date_from > date_to:
        raise ValidationError({"date_to": ["Must not be before the first day."]})
    if (date_to - date_from).days + 1 > REATTRIBUTION_JOB_MAX_DAYS:
        raise ValidationError(
            {"date_to": [f"At most {REATTRIBUTION_JOB_MAX_DAYS} days in one job; split a longer range."]}
        )


@transaction.atomic
def reattribution_job_create(
    *, organization: Organization, date_from: date, date_to: date, created_by=None
) -> ReattributionJob:
    """Record a job for these local days (inclusive) and enqueue its task with it (the outbox): a broker outage
    delays the job, never loses it. ``total`` is the number of conversions it will process, counted now."""
    reattribution_range_validate(date_from=date_from, date_to=date_to)
    total = reattribution_conversions(organization=organization, date_from=date_from, date_to=date_to).count()
    job = ReattributionJob.objects.create(
        organization=organization, date_from=date_from, date_to=date_to, total=total, created_by=created_by
    )
    _enqueue(job.pk)
    return job


def _enqueue(job_id) -> None:
    from conversions.tasks import reattribution_job_run_task

    enqueue_after_commit(reattribution_job_run_task, str(job_id))


@transaction.atomic
def reattribution_job_resume(*, job: ReattributionJob) -> ReattributionJob:
    """Queue a failed job again: it continues after the last chunk it committed."""
    job = ReattributionJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ReattributionJob.Status.FAILED:
        raise ValidationError({"status": ["Only a failed job can be resumed."]})
    job.status = ReattributionJob.Status.QUEUED
    job.error = ""
    job.finished_at = None
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    _enqueue(job.pk)
    return job


def reattribution_job_run(*, job_id, max_seconds: float = REATTRIBUTION_JOB_RUN_SECONDS) -> ReattributionJob | None:
    """Process a job's chunks for up to ``max_seconds``, then enqueue the rest as a new task; returns the job
    (``None`` when it no longer exists). A finished or failed job is left alone, so a re-sent task is a no-op.

    An error in a chunk marks the job failed with the error (staff resume it from the admin) and is raised
    again; transient database errors are retried by the task before that. A worker that dies mid-chunk leaves
    the job running and the chunk uncommitted: the redelivered task goes on from the cursor.
    """
    deadline = time.monotonic() + max_seconds
    while True:
        try:
            more = _reattribution_job_step(job_id)
        except Exception as error:
            if not _is_transient(error):
                _reattribution_job_fail(job_id, error)
            raise
        if not more:
            break
        if time.monotonic() >= deadline:
            _enqueue(job_id)
            break
    return ReattributionJob.objects.filter(pk=job_id).first()


def _is_transient(error: Exception) -> bool:
    from django.db import OperationalError

    return isinstance(error, OperationalError)


def _reattribution_job_fail(job_id, error: Exception) -> None:
    logger.exception("Re-attribution job %s failed.", job_id)
    ReattributionJob.objects.filter(pk=job_id).exclude(status=ReattributionJob.Status.DONE).update(
        status=ReattributionJob.Status.FAILED,
        error=f"{type(error).__name__}: {error}"[:2000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


@transaction.atomic
def _reattribution_job_step(job_id) -> bool:
    """One chunk, with the job's cursor and progress, in one transaction. Returns whether work remains."""
    # Only the job row is locked (``of``): a lock on the organization row would block every insert that
    # references it (their FOR KEY SHARE) for the length of the chunk.
    job = (
        ReattributionJob.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.status in (ReattributionJob.Status.DONE, ReattributionJob.Status.FAILED):
        return False
    now = timezone.now()
    if job.status == ReattributionJob.Status.QUEUED:
        job.status, job.started_at = ReattributionJob.Status.RUNNING, now
    pending = reattribution_conversions(organization=job.organization, date_from=job.date_from, date_to=job.date_to)
    if job.cursor is not None:
        pending = pending.filter(pk__gt=job.cursor)
    chunk = list(
        pending.select_related("organization", "delivery")
        .select_for_update(of=("self",))
        .order_by("pk")[:REATTRIBUTION_JOB_CHUNK_SIZE]
    )
    job.changed += _reattribute_with_defaults(job.organization, chunk)
    job.processed += len(chunk)
    if chunk:
        job.cursor = chunk[-1].pk
    more = len(chunk) == REATTRIBUTION_JOB_CHUNK_SIZE
    if not more:
        job.status, job.finished_at = ReattributionJob.Status.DONE, now
        job.total = job.processed  # conversions written or given explicit credit meanwhile: the count that was done
    job.save()
    return more


def _reattribute_with_defaults(organization: Organization, conversions: list[Conversion]) -> int:
    """Apply the defaults and re-attribute these locked conversions; returns how many changed in any way."""
    updated, updated_fields, touched_days, changed = [], set(), set(), 0
    now = timezone.now()
    for conversion in conversions:
        conversion.organization = organization  # read with the job: the same defaults for the whole chunk
        before = sorted(conversion.attributions.values_list("campaign_id", "delivery_id", "weight"), key=str)
        fields = conversion_apply_organization_defaults(conversion)
        if fields:
            conversion.updated_at = now
            updated.append(conversion)
            updated_fields.update(fields)
        rows = conversion_attribute(conversion=conversion)
        after = sorted(((row.campaign_id, row.delivery_id, row.weight) for row in rows), key=str)
        if before != after:
            touched_days.add(conversion.converted_date)
        if fields or before != after:
            changed += 1
    if updated:
        # One UPDATE and one history INSERT for the chunk (a save() per row would also write history per row).
        Conversion.objects.bulk_update(updated, sorted({*updated_fields, "updated_at"}))
        Conversion.history.bulk_history_create(updated, update=True, **history_context())
        conversions_event(organization=organization, type="conversion.updated", conversions=updated)
    conversion_days_mark(organization, touched_days)
    return changed
