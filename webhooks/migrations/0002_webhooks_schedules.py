"""The beat schedules of webhooks (editable in the admin): the sweep of late retries and the log's pruning."""

from django.db import migrations

SWEEP = "webhooks: send late deliveries (sweep)"
PRUNE = "webhooks: prune delivery logs older than 30 days"


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_seconds, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=SWEEP,
        defaults={
            "task": "webhooks.tasks.webhook_deliveries_sweep_task",
            "interval": every_ten_seconds,
            "description": "Sends the due webhook deliveries whose scheduled retry the broker lost.",
        },
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="40", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=PRUNE,
        defaults={
            "task": "webhooks.tasks.webhook_log_prune_task",
            "crontab": nightly,
            "description": "Deletes finished webhook deliveries and their attempts older than 30 days.",
        },
    )


def delete_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[SWEEP, PRUNE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
