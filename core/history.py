"""Who made a change, for django-simple-history.

Staff users are recorded as ``history_user``; API calls authenticate with a key, not a user, so the key is
recorded in ``history_api_key``. Both come from the request the history middleware keeps for the thread.
"""

from django.contrib.auth.models import AbstractBaseUser
from simple_history.models import HistoricalRecords


def history_user(instance=None, request=None, **kwargs):
    request = request or getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if isinstance(user, AbstractBaseUser) else None


def record_api_key(sender, history_instance=None, **kwargs):
    """Signal receiver (pre_create_historical_record): stamp the API key onto the history row."""
    request = getattr(HistoricalRecords.context, "request", None)
    if hasattr(history_instance, "history_api_key"):
        history_instance.history_api_key = api_key_label(request)


def api_key_label(request) -> str:
    api_key = getattr(request, "api_key", None)
    return f"{api_key.name} ({api_key.prefix})" if api_key is not None else ""


def history_context() -> dict:
    """Keyword arguments for ``bulk_history_create``: the same actor a single save would record."""
    request = getattr(HistoricalRecords.context, "request", None)
    return {
        "default_user": history_user(request=request),
        "custom_historical_attrs": {"history_api_key": api_key_label(request)},
    }


def audited(**kwargs) -> HistoricalRecords:
    """The one way models declare an audit history, so every history table has the same columns."""
    from .models import HistoryActor

    return HistoricalRecords(bases=[HistoryActor], get_user=history_user, **kwargs)
