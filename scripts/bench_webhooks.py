"""Benchmark row: webhook events dispatched per second from the outbox to a loopback receiver.

    DATABASE_URL=sqlite:////tmp/webhooks-bench.sqlite3 .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/webhooks-bench.sqlite3 .venv/bin/python -m scripts.bench_webhooks [EVENTS]

Records EVENTS conversion events (one endpoint), then times the outbox handing every delivery to Celery, run
in-process (eager: one process signs, POSTs to a threaded http.server on 127.0.0.1 and records each attempt).
It measures the sender's own cost per event, not a broker's or a real network's.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from accounts.services import organization_create  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from core.models import FollowUp  # noqa: E402
from core.outbox import follow_ups_dispatch  # noqa: E402
from webhooks.models import WebhookDelivery  # noqa: E402
from webhooks.services import events_record, webhook_endpoint_create  # noqa: E402
from webhooks.tests.receiver import start_receiver  # noqa: E402


def main(events: int) -> None:
    celery_app.conf.task_always_eager = True
    receiver = start_receiver()
    organization = organization_create(slug=f"bench-{int(time.time())}", name="Bench")
    webhook_endpoint_create(organization=organization, url=receiver.url, events=["conversion.created"])
    resources = [{"id": str(index), "revenue": 1.5, "currency": "EUR"} for index in range(events)]
    on_commit = transaction.on_commit
    transaction.on_commit = lambda *args, **kwargs: None  # no send at commit: the timed part is the outbox's
    try:
        with transaction.atomic():
            events_record(organization=organization, type="conversion.created", resources=resources)
    finally:
        transaction.on_commit = on_commit
    started = time.monotonic()
    while FollowUp.objects.exists():
        follow_ups_dispatch()
    seconds = time.monotonic() - started
    delivered = WebhookDelivery.objects.filter(endpoint__organization=organization, status="succeeded").count()
    receiver.server.shutdown()
    print("| measure | events | seconds | events/s |")
    print("|---|---|---|---|")
    print(
        f"| outbox → loopback receiver (eager, 1 process) | {delivered} | {seconds:.2f} | {delivered / seconds:.0f} |"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
