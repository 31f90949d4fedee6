"""The Celery application: settings from Django's (namespace ``CELERY``), tasks found in every app."""

import os

from celery import Celery
from django.db import OperationalError

from config import kombu_patches

kombu_patches.apply()  # the worker survives Redis coming back (see the module)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("conversion_management")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Options of every task: retry transient database errors (lost connection, lock timeout) with jittered backoff.
RETRY_ON_TRANSIENT_ERRORS = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
