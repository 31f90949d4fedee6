"""The kernel's one background task: sending the follow-ups the writes recorded (the outbox)."""

from celery import shared_task

from config.celery import RETRY_ON_TRANSIENT_ERRORS

from .outbox import follow_ups_dispatch


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def follow_ups_dispatch_task() -> int:
    """Beat, every 5 seconds: send what a broker outage or a crash right after a commit left behind."""
    return follow_ups_dispatch()
