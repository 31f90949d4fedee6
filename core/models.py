"""Abstract bases the domain apps' models share. The kernel has no tables of its own."""

from django.db import models


class HistoryActor(models.Model):
    """Extra column of every historical table: the API key that made the change, when it was not a staff user."""

    history_api_key = models.CharField(max_length=130, blank=True, default="")

    class Meta:
        abstract = True


class FollowUp(models.Model):
    """Background work a write asked for, recorded in the write's own transaction (a transactional outbox).

    A service never hands a task to the broker inside its transaction: it writes this row, and once the
    transaction has committed the row is sent (right away, and by a beat task every few seconds until the broker
    takes it). The row stays until the task has *finished*: the worker deletes it when the task succeeds. A row
    sent longer than ``FOLLOW_UP_LEASE_SECONDS`` ago is sent again, so a message the broker lost (a Redis that
    restarted without its data, a worker killed while holding it) is not lost work. A broker that is down, or a
    process that dies right after the commit, delays the work; it cannot lose it, and a request never fails after
    its data was committed. Tasks are idempotent, so a message sent twice is harmless.
    """

    id = models.BigAutoField(primary_key=True)
    task = models.CharField(max_length=200, help_text="Dotted name of the Celery task.")
    args = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts to hand it to the broker.")
    sends = models.PositiveIntegerField(default=0, help_text="Times the broker took it (more than one: re-sent).")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the broker last took it.")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
