"""Background upkeep of the rollups: the 10-second drain of dirty-day marks and the nightly check.

Tasks take ISO strings and ids, call one service, and are idempotent (a day is rebuilt by delete + one
``GROUP BY`` insert), so a retry, a redelivery after a killed worker (``acks_late``) or an overlapping run
changes nothing. Transient database errors are retried with exponential backoff.
"""

from datetime import date

from celery import shared_task

from config.celery import RETRY_ON_TRANSIENT_ERRORS

from . import services


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def rollup_drain_task(max_days: int = services.ROLLUP_DRAIN_MAX_DAYS) -> int:
    """Fold the oldest dirty days into the rollups (beat: every 10 s); returns how many days were rebuilt."""
    return services.rollup_drain(max_days=max_days)


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def rollup_repair_task(
    since: str | None = None, until: str | None = None, organization_id: str | None = None, force: bool = False
) -> int:
    """Recount a trailing window (default: the last 35 days) and rebuild only mismatching days (beat: 03:15)."""
    repaired = services.rollup_repair(
        organization_id=organization_id,
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
        trailing_days=None if since else services.ROLLUP_REPAIR_WINDOW_DAYS,
        force=force,
    )
    return len(repaired)
