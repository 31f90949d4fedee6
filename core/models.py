"""Abstract bases the domain apps' models share. The kernel has no tables of its own."""

from django.db import models


class HistoryActor(models.Model):
    """Extra column of every historical table: the API key that made the change, when it was not a staff user."""

    history_api_key = models.CharField(max_length=130, blank=True, default="")

    class Meta:
        abstract = True
