"""System checks of the security settings this app relies on (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .security import parse_rate

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs):
    """The API's rate limits count in the default cache: one per process would multiply every limit."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            Warning(
                f"The default cache ({backend}) is not shared by the web processes, so each process enforces "
                "API_THROTTLE_RATE and API_AUTH_FAILURE_RATE on its own.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://redis:6379/1.",
                id="accounts.W001",
            )
        ]
    return []


@register(Tags.security)
def check_rates(app_configs=None, **kwargs):
    """The API's rates are read at request time: a malformed one is refused at start instead."""
    errors = []
    for name in ("API_THROTTLE_RATE", "API_AUTH_FAILURE_RATE"):
        try:
            parse_rate(getattr(settings, name))
        except ValueError as error:
            errors.append(Error(f"{name}: {error}", hint="e.g. 6000/minute", id="accounts.E001"))
    return errors
