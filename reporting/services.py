"""Writes for the reporting rollups: drain the marks the conversion services write, rebuild and repair buckets.

A day's buckets are only ever replaced whole: delete them and insert one ``GROUP BY`` over the day's raw rows,
in one transaction (the Zulip analytics pattern), so running a rebuild twice, or again after a crash, gives the
same rows. Rebuilds of the same (organization, day) are serialized by a PostgreSQL advisory lock; SQLite has a
single writer anyway.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import Organization
from conversions.models import RollupMark
from conversions.services import conversions_derived_check

from .aggregation import (
    RAW_CONVERSIONS,
    RAW_CREDIT,
    ROLLUP_OF,
    SUM_MEASURES,
    DaySpan,
    aggregate,
    by_column,
    insert_rollup_buckets,
)
from .comparison import comparison_mismatched_days, comparison_rollup_replace

logger = logging.getLogger(__name__)

ROLLUP_DRAIN_MAX_DAYS = 200  # (organization, day) pairs folded per drain run; the beat runs it every 10 s
ROLLUP_REPAIR_WINDOW_DAYS = 35
ROLLUP_REBUILD_CHUNK_DAYS = 31  # days rebuilt per transaction by a forced rebuild
RAW_SOURCES = (RAW_CONVERSIONS, RAW_CREDIT)


def _lock_days(organization_id, days: Iterable[date]) -> None:
    """Serialize rebuilds of the same (organization, day) until the end of the transaction (PostgreSQL only).

    Without it two drains could both delete a day's buckets and both insert them again, doubling the day.
    Locks are taken in day order, so concurrent rebuilders never deadlock.
    """
    if connection.vendor != "postgresql":
        return
    keys = []
    for day in sorted(set(days)):
        digest = hashlib.blake2b(f"rollup:{organization_id}:{day.isoformat()}".encode(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _replace_buckets(organization_id, first: date, last: date) -> None:
    span = DaySpan(first, last)
    for raw_source in RAW_SOURCES:
        rollup = ROLLUP_OF[raw_source.name].model
        rollup.objects.filter(organization_id=organization_id, day__gte=first, day__lte=last).delete()
        insert_rollup_buckets(raw_source, organization_ids=[organization_id], days=span)
    # The model comparison is computed in Python (the models are), by the function its report uses for dirty days.
    organization = Organization.objects.get(pk=organization_id)
    comparison_rollup_replace(organization=organization, first=first, last=last)


@transaction.atomic
def rollup_rebuild_days(*, organization_id, first: date, last: date) -> None:
    """Replace every bucket of ``first..last`` by a recount of the raw rows, in one transaction. Idempotent.

    Marks are left alone: a day marked before this ran is rebuilt once more by the drain, which is harmless.
    """
    _lock_days(organization_id, (first + timedelta(days=offset) for offset in range((last - first).days + 1)))
    _replace_buckets(organization_id, first, last)


@transaction.atomic
def _rollup_fold_day(organization_id, day: date) -> int:
    """Rebuild one marked day and delete exactly the marks that existed when the rebuild started.

    The mark ids are read after taking the day's lock and before the recount: every write whose mark is in the
    list committed before the recount's snapshot, so it is counted. A write that commits later leaves its
    own mark behind, and the day stays dirty (reports read it raw) until the next drain.
    """
    _lock_days(organization_id, [day])
    mark_ids = list(RollupMark.objects.filter(organization_id=organization_id, day=day).values_list("pk", flat=True))
    if not mark_ids:
        return 0  # another drain folded it meanwhile
    _replace_buckets(organization_id, day, day)
    RollupMark.objects.filter(pk__in=mark_ids).delete()
    return len(mark_ids)


def rollup_drain(*, max_days: int = ROLLUP_DRAIN_MAX_DAYS) -> int:
    """Fold the oldest marked (organization, day) pairs into the rollups, one transaction per day.

    Bounded: at most ``max_days`` days per call (the beat calls it again 10 s later). Returns the number of days
    rebuilt. Safe to run concurrently and to rerun after a crash: a day whose transaction did not commit keeps
    its marks and is simply rebuilt again.
    """
    pending = (
        RollupMark.objects.values("organization_id", "day").annotate(oldest=Min("pk")).order_by("oldest")[:max_days]
    )
    folded = 0
    for pair in list(pending):
        if _rollup_fold_day(pair["organization_id"], pair["day"]):
            folded += 1
    return folded


def _buckets_by_day(raw_source, organization_id, first: date, last: date, *, from_rollup: bool) -> dict:
    """``{day: {bucket key: measures}}`` counted from the raw rows, or read from the rollup, the same way."""
    dimensions = ("organization", *raw_source.rollup_dimensions)
    rows = aggregate(
        ROLLUP_OF[raw_source.name] if from_rollup else raw_source,
        organization_ids=[organization_id],
        days=DaySpan(first, last),
        group_by={dimension: by_column(dimension) for dimension in dimensions},
        measures=SUM_MEASURES,
    )
    by_day: dict[date, dict[tuple, tuple]] = defaultdict(dict)
    for row in rows:
        key = tuple("" if row[f"g_{name}"] is None else str(row[f"g_{name}"]) for name in dimensions)
        by_day[row["g_day"]][key] = tuple(row[f"m_{measure}"] for measure in SUM_MEASURES)
    return by_day


def _mismatched_days(organization_id, first: date, last: date) -> dict[date, list[str]]:
    """Days of ``first..last`` whose buckets differ from a recount of the raw rows, with what differs."""
    problems: dict[date, list[str]] = defaultdict(list)
    for raw_source in RAW_SOURCES:
        expected = _buckets_by_day(raw_source, organization_id, first, last, from_rollup=False)
        actual = _buckets_by_day(raw_source, organization_id, first, last, from_rollup=True)
        for day in sorted(set(expected) | set(actual)):
            want, have = expected.get(day, {}), actual.get(day, {})
            if want != have:
                missing = len(set(want) - set(have))
                extra = len(set(have) - set(want))
                changed = sum(1 for key in set(want) & set(have) if want[key] != have[key])
                problems[day].append(
                    f"{ROLLUP_OF[raw_source.name].name}: {missing} missing, {extra} extra, {changed} wrong buckets"
                )
    organization = Organization.objects.get(pk=organization_id)
    for day, problem in comparison_mismatched_days(organization=organization, first=first, last=last).items():
        problems[day].append(problem)
    return problems


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def rollup_repair(
    *,
    organization_id=None,
    since: date | None = None,
    until: date | None = None,
    trailing_days: int | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[tuple]:
    """Recount ``since..until`` from raw rows and rebuild only the days whose buckets differ; log each repair.

    Before that (unless ``force``), the conversions' own derived columns are checked against what they derive
    from (reference amounts against the rate, credit against revenue) and repaired, each mismatch logged.

    Days that still have marks are skipped: they are dirty by design (reports read them raw) and the drain
    rebuilds them.

    ``since`` (or ``trailing_days`` before the organization's local today) defaults to the organization's first
    day with data (its whole history) and ``until`` to the later
    of today and its last day with data. With ``force`` every day is rebuilt without comparing. ``progress`` is
    called with the number of days handled after each chunk of at most 31 days (the unit of one transaction
    for a forced rebuild, and of one recount query pair for a check). Returns the repaired
    ``(organization_id, day)`` pairs.
    """
    organizations = Organization.objects.order_by("slug")
    if organization_id is not None:
        organizations = organizations.filter(pk=organization_id)
    repaired: list[tuple] = []
    for organization in organizations:
        span = rollup_repair_span(organization=organization, since=since, until=until, trailing_days=trailing_days)
        if span is None:
            continue
        first, last = span
        if not force:
            # The raw rows' own derived columns first (repairs mark their days, which the drain then rebuilds).
            conversions_derived_check(organization=organization, first_day=first, last_day=last)
        for chunk_start in range(0, (last - first).days + 1, ROLLUP_REBUILD_CHUNK_DAYS):
            chunk_first = first + timedelta(days=chunk_start)
            chunk_last = min(last, chunk_first + timedelta(days=ROLLUP_REBUILD_CHUNK_DAYS - 1))
            if force:
                rollup_rebuild_days(organization_id=organization.pk, first=chunk_first, last=chunk_last)
                repaired.extend((organization.pk, day) for day in _days_between(chunk_first, chunk_last))
            else:
                for day in sorted(_mismatched_days(organization.pk, chunk_first, chunk_last)):
                    if _repair_day(organization, day):
                        repaired.append((organization.pk, day))
            if progress is not None:
                progress((chunk_last - chunk_first).days + 1)
    return repaired


@transaction.atomic
def _repair_day(organization: Organization, day: date) -> bool:
    """Rebuild one day found wrong, after checking again under its lock; a still-marked day is left to the drain.

    The first comparison runs without locks, so a write or a drain in between can make a sound day look wrong;
    the second, under the lock, is what decides and what is logged.
    """
    _lock_days(organization.pk, [day])
    if RollupMark.objects.filter(organization_id=organization.pk, day=day).exists():
        return False  # dirty: reports read it raw, and the drain rebuilds it shortly
    problems = _mismatched_days(organization.pk, day, day).get(day)
    if not problems:
        return False
    logger.warning("Rollup repair: organization %s day %s: %s", organization.slug, day, "; ".join(problems))
    _replace_buckets(organization.pk, day, day)
    return True


def rollup_repair_span(
    *,
    organization: Organization,
    since: date | None = None,
    until: date | None = None,
    trailing_days: int | None = None,
):
    """The days ``rollup_repair`` covers for one organization as ``(first, last)``, or ``None`` if there are none.

    ``trailing_days`` (instead of ``since``) starts that many days before the organization's local today: each
    organization's own calendar, not the server's UTC date.
    """
    today = timezone.localdate(timezone=organization.zone)
    if trailing_days is not None:
        since = today - timedelta(days=trailing_days)
    first = since or _first_data_day(organization.pk)
    last = until or max(today, _last_data_day(organization.pk) or today)
    if first is None or first > last:
        return None
    return first, last


def _first_data_day(organization_id) -> date | None:
    days = [
        source.model.objects.filter(organization_id=organization_id)
        .order_by(source.columns["day"])
        .values_list(source.columns["day"], flat=True)
        .first()
        for source in (RAW_CONVERSIONS, *(ROLLUP_OF[item.name] for item in RAW_SOURCES))
    ]
    days = [day for day in days if day is not None]
    return min(days) if days else None


def _last_data_day(organization_id) -> date | None:
    days = [
        source.model.objects.filter(organization_id=organization_id)
        .order_by(f"-{source.columns['day']}")
        .values_list(source.columns["day"], flat=True)
        .first()
        for source in (RAW_CONVERSIONS, *(ROLLUP_OF[item.name] for item in RAW_SOURCES))
    ]
    days = [day for day in days if day is not None]
    return max(days) if days else None
