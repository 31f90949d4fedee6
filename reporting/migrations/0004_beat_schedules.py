"""Default Celery beat schedules of the rollups (editable afterwards in the admin, django-celery-beat)."""

from django.db import migrations

DRAIN_NAME = "reporting: fold dirty days into the rollups"
REPAIR_NAME = "reporting: nightly rollup check and repair"


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_seconds, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=DRAIN_NAME,
        defaults={
            "task": "reporting.tasks.rollup_drain_task",
            "interval": every_ten_seconds,
            "description": "Rebuilds the rollup buckets of days that writes have marked dirty, in bounded batches.",
        },
    )
    PeriodicTask.objects.get_or_create(
        name=REPAIR_NAME,
        defaults={
            "task": "reporting.tasks.rollup_repair_task",
            "crontab": nightly,
            "description": "Recounts the last 35 days from raw rows and rebuilds (and logs) any day that differs.",
        },
    )


def delete_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[DRAIN_NAME, REPAIR_NAME]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_conversion_report_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
