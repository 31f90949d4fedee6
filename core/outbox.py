"""The transactional outbox: services record follow-up work with the data, and it is sent to the broker after
commit (``follow_up_after_commit``) or, if that fails, by the beat task that drains what is left
(``follow_ups_dispatch``). A follow-up is deleted when its task has succeeded (``follow_up_done``, on Celery's
``task_success``), not when the broker took it: a follow-up sent longer than ``FOLLOW_UP_LEASE_SECONDS`` ago and
still there is sent again. See ``core.models.FollowUp``."""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from .models import FollowUp

logger = logging.getLogger(__name__)

FOLLOW_UPS_DISPATCH_MAX = 500  # rows sent per run of the beat task
FOLLOW_UP_MAX_SENDS = 20  # a follow-up sent this often without ever succeeding stays, logged, and is not re-sent
FOLLOW_UP_HEADER = "follow_up_id"  # message header naming the row a task deletes when it succeeds
# What a broker that is down or unreachable raises when a message is published.
BROKER_ERRORS = (KombuError, OSError)


def follow_up_after_commit(task, *args) -> FollowUp:
    """Record that ``task(*args)`` must run once the current transaction commits, and try to send it then.

    Inside a transaction that rolls back, the row vanishes with the data: rolled-back work never starts a task.
    """
    follow_up = FollowUp.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: follow_ups_dispatch(ids=[follow_up.pk]))
    return follow_up


def follow_ups_due(now=None):
    """Follow-ups to send: never sent, or sent more than the lease ago and not finished (the message was lost)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.FOLLOW_UP_LEASE_SECONDS)
    return FollowUp.objects.filter(Q(sent_at__isnull=True) | Q(sent_at__lt=stale), sends__lt=FOLLOW_UP_MAX_SENDS)


def follow_ups_dispatch(*, ids=None, limit: int = FOLLOW_UPS_DISPATCH_MAX) -> int:
    """Hand due follow-ups to the broker, oldest first, and stamp each one the broker took with ``sent_at``.

    Rows another dispatcher holds are skipped (``SKIP LOCKED``). When the broker refuses a message, the run stops
    and the rest stays for the next run (the beat task, every few seconds); the error is logged, never raised,
    so the request whose commit triggered the run still answers with its committed result. Returns how many
    were sent.
    """
    with transaction.atomic():
        pending = follow_ups_due().select_for_update(skip_locked=True).order_by("pk")
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        sent = []
        for follow_up in pending[:limit]:
            if follow_up.sends:
                logger.warning(
                    "Follow-up %s sent %d time(s) and not finished; sending it again.", follow_up, follow_up.sends
                )
            try:
                current_app.tasks[follow_up.task].apply_async(
                    args=follow_up.args, headers={FOLLOW_UP_HEADER: follow_up.pk}
                )
            except BROKER_ERRORS as error:
                logger.warning("Follow-up %s not sent yet (%s); the dispatcher will retry.", follow_up, error)
                FollowUp.objects.filter(pk=follow_up.pk).update(
                    attempts=follow_up.attempts + 1, last_error=str(error)[:2000]
                )
                break
            sent.append(follow_up)
            if follow_up.sends + 1 >= FOLLOW_UP_MAX_SENDS:
                logger.error(
                    "Follow-up %s sent %d times without succeeding; it is no longer re-sent.",
                    follow_up,
                    FOLLOW_UP_MAX_SENDS,
                )
        # Rows an eagerly run task already finished (and deleted) are simply not found.
        FollowUp.objects.filter(pk__in=[row.pk for row in sent]).update(sent_at=timezone.now(), sends=F("sends") + 1)
    return len(sent)


def follow_up_done_on_success(sender=None, **kwargs) -> None:
    """Celery's ``task_success`` receiver (connected in ``CoreConfig.ready``)."""
    follow_up_done(sender.request)


def follow_up_done(request) -> None:
    """Delete the follow-up whose task has just succeeded (connected to Celery's ``task_success``).

    A worker sees the header as a request attribute; an eagerly run task (tests) in ``request.headers``.
    """
    follow_up_id = getattr(request, FOLLOW_UP_HEADER, None) or (getattr(request, "headers", None) or {}).get(
        FOLLOW_UP_HEADER
    )
    if follow_up_id is not None:
        FollowUp.objects.filter(pk=follow_up_id).delete()
