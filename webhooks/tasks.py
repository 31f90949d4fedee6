"""Webhook tasks: one delivery attempt, the sweep of late retries, and the log's pruning."""

from celery import shared_task

from config.celery import RETRY_ON_TRANSIENT_ERRORS

from .services import webhook_deliveries_sweep, webhook_delivery_attempt, webhook_log_prune


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def webhook_delivery_task(delivery_id: str) -> str:
    """Send one (event, endpoint) delivery if due; its retries are scheduled by the service. Idempotent."""
    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def webhook_deliveries_sweep_task() -> int:
    """Beat, every 10 s: send the due deliveries whose scheduled message the broker lost."""
    return webhook_deliveries_sweep()


@shared_task(**RETRY_ON_TRANSIENT_ERRORS)
def webhook_log_prune_task() -> int:
    """Beat, daily: drop delivery logs older than 30 days."""
    return webhook_log_prune()
