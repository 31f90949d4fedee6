"""The transactional outbox: services record follow-up work with the data, and it is sent to the broker after
commit (``follow_up_after_commit``) or, if that fails, by the beat task that drains what is left
(``follow_ups_dispatch``). See ``core.models.FollowUp``."""

import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import KombuError

from .models import FollowUp

logger = logging.getLogger(__name__)

FOLLOW_UPS_DISPATCH_MAX = 500  # rows sent per run of the beat task
# What a broker that is down or unreachable raises when a message is published.
BROKER_ERRORS = (KombuError, OSError)


def follow_up_after_commit(task, *args) -> FollowUp:
    """Record that ``task(*args)`` must run once the current transaction commits, and try to send it then.

    Inside a transaction that rolls back, the row vanishes with the data: rolled-back work never starts a task.
    """
    follow_up = FollowUp.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: follow_ups_dispatch(ids=[follow_up.pk]))
    return follow_up


def follow_ups_dispatch(*, ids=None, limit: int = FOLLOW_UPS_DISPATCH_MAX) -> int:
    """Hand pending follow-ups to the broker, oldest first, and delete each one the broker took.

    Rows another dispatcher holds are skipped (``SKIP LOCKED``). When the broker refuses a message, the run stops
    and the rest stays for the next run (the beat task, every few seconds); the error is logged, never raised,
    so the request whose commit triggered the run still answers with its committed result. Returns how many
    were sent.
    """
    with transaction.atomic():
        pending = FollowUp.objects.select_for_update(skip_locked=True).order_by("pk")
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        sent = []
        for follow_up in pending[:limit]:
            try:
                current_app.tasks[follow_up.task].apply_async(args=follow_up.args)
            except BROKER_ERRORS as error:
                logger.warning("Follow-up %s not sent yet (%s); the dispatcher will retry.", follow_up, error)
                FollowUp.objects.filter(pk=follow_up.pk).update(
                    attempts=follow_up.attempts + 1, last_error=str(error)[:2000]
                )
                break
            sent.append(follow_up.pk)
        FollowUp.objects.filter(pk__in=sent).delete()
    return len(sent)
