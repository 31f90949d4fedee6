"""Background work on conversions: re-attribution after late touchpoints, re-attribution jobs started by staff,
revaluation after new rates.

Each task takes ids or ISO strings, calls one service, is idempotent (it recomputes from the data, so a
retry or a redelivery after a killed worker gives the same rows) and retries transient database errors.
"""

from datetime import date, datetime

from celery import shared_task

from config.celery import RETRY_ON_TRANSIENT_ERRORS

from . import services


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def reattribute_contact_window_task(contact_id: str, start: str, end: str) -> int:
    return services.conversions_reattribute_contact_window(
        contact_id=contact_id, start=datetime.fromisoformat(start), end=datetime.fromisoformat(end)
    )


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def reattribute_conversions_task(conversion_ids: list[str]) -> int:
    return services.conversions_reattribute(conversion_ids=conversion_ids)


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def reattribution_job_run_task(job_id: str) -> int | None:
    """Work on a re-attribution job for a while (it enqueues its own continuation); returns how many conversions
    it has processed so far, ``None`` when the job is gone."""
    job = services.reattribution_job_run(job_id=job_id)
    return job.processed if job is not None else None


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def revalue_conversions_task(currency: str, since: str) -> int:
    """Split the revaluation after a rate change into chunk tasks; returns how many were enqueued."""
    return services.conversions_revalue_in_chunks(currency=currency, since=date.fromisoformat(since))


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def revalue_conversion_chunk_task(conversion_ids: list[str]) -> int:
    return services.conversions_revalue_chunk(conversion_ids=conversion_ids)
