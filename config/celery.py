"""The Celery application: settings from Django's (namespace ``CELERY``), tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("conversion_management")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
