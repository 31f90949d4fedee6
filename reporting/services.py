"""Writes for the reporting rollups."""

from collections.abc import Iterable
from datetime import date

from .models import RollupMark


def rollup_mark_dirty(*, organization_id, days: Iterable[date]) -> None:
    """Record that these local days changed; runs inside the writer's transaction so it commits with the data."""
    RollupMark.objects.bulk_create(
        [RollupMark(organization_id=organization_id, day=day) for day in sorted(set(days)) if day is not None]
    )
