"""The admin's sidebar: the screens staff work in first, access next, and the system's internal tables last.

Read by django-unfold (``UNFOLD["SIDEBAR"]["navigation"]``) on every admin page. An item shows only when the
user may view its screen (through the same admin permissions the screen itself checks); the System group
(rollups, marks, historical tables, task schedules and results, users) is for superusers only.
"""

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

# (title, Material Symbols icon, model label or URL name)
STAFF_SCREENS = [
    ("Dashboard", "dashboard", "url:admin:index"),
    ("Conversions", "shopping_cart", "conversions.Conversion"),
    ("Refunds", "undo", "conversions.Refund"),
    ("Contacts", "person", "contacts.Contact"),
    ("Campaigns", "campaign", "conversions.Campaign"),
    ("Deliveries", "send", "conversions.Delivery"),
    ("Touchpoints", "ads_click", "conversions.Touchpoint"),
    ("Exchange rates", "currency_exchange", "conversions.ExchangeRate"),
    ("Re-attribution jobs", "autorenew", "conversions.ReattributionJob"),
    ("Import / export", "upload_file", "url:admin:conversions_conversion_import"),
]
WEBHOOK_SCREENS = [
    ("Endpoints", "webhook", "webhooks.WebhookEndpoint"),
    ("Delivery log", "outbox", "webhooks.WebhookDelivery"),
]
ACCESS_SCREENS = [
    ("Organizations", "domain", "accounts.Organization"),
    ("Memberships", "group", "accounts.Membership"),
    ("API keys", "key", "accounts.ApiKey"),
]
SYSTEM_SCREENS = [
    ("Credit rows", "account_tree", "conversions.Attribution"),
    ("Conversion rollups", "table_chart", "reporting.ConversionRollup"),
    ("Credit rollups", "table_chart", "reporting.CreditRollup"),
    ("Rollup marks", "flag", "conversions.RollupMark"),
    ("History: conversions", "history", "conversions.HistoricalConversion"),
    ("History: contacts", "history", "contacts.HistoricalContact"),
    ("History: campaigns", "history", "conversions.HistoricalCampaign"),
    ("History: deliveries", "history", "conversions.HistoricalDelivery"),
    ("Periodic tasks", "schedule", "django_celery_beat.PeriodicTask"),
    ("Interval schedules", "schedule", "django_celery_beat.IntervalSchedule"),
    ("Crontab schedules", "schedule", "django_celery_beat.CrontabSchedule"),
    ("Solar schedules", "schedule", "django_celery_beat.SolarSchedule"),
    ("Clocked schedules", "schedule", "django_celery_beat.ClockedSchedule"),
    ("Task results", "task_alt", "django_celery_results.TaskResult"),
    ("Group results", "task_alt", "django_celery_results.GroupResult"),
    ("Users", "manage_accounts", "auth.User"),
    ("Groups", "groups", "auth.Group"),
]


def _item(request, title: str, icon: str, target: str) -> dict | None:
    """A sidebar link, or ``None`` when the screen does not exist here or the user may not see it."""
    if target.startswith("url:"):
        try:
            link = reverse(target[len("url:") :])
        except NoReverseMatch:
            return None
        return {"title": title, "icon": icon, "link": link}
    model = apps.get_model(target)
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not model_admin.has_view_or_change_permission(request):
        return None
    opts = model._meta
    return {"title": title, "icon": icon, "link": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")}


def _group(request, title: str, screens, *, collapsible: bool = False) -> dict | None:
    """A sidebar group, or ``None`` when the user may see none of its models (plain links alone do not count)."""
    if not any(_item(request, *screen) for screen in screens if not screen[2].startswith("url:")):
        return None
    items = [item for item in (_item(request, *screen) for screen in screens) if item is not None]
    return {"title": title, "separator": True, "collapsible": collapsible, "items": items}


def sidebar(request) -> list[dict]:
    groups = [
        _group(request, "Conversions", STAFF_SCREENS),
        _group(request, "Webhooks", WEBHOOK_SCREENS),
        _group(request, "Access", ACCESS_SCREENS),
    ]
    if request.user.is_superuser:
        groups.append(_group(request, "System", SYSTEM_SCREENS, collapsible=True))
    return [group for group in groups if group is not None]
