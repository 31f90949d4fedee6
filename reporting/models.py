"""Reporting state: marks of days whose rollups are stale."""

from django.db import models

from accounts.models import Organization


class RollupMark(models.Model):
    """One write touched this organization's local day, so its rollup buckets are stale until rebuilt.

    Several marks per day are allowed on purpose: writers only ever INSERT (no lock, no conflict), and the
    drain deletes exactly the marks it read, so a mark written while a day is being rebuilt survives and the
    day stays dirty (read from raw rows) until the next drain.
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "day"], name="rollupmark_org_day")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.day}"
