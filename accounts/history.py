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
    api_key = getattr(request, "api_key", None)
    if api_key is not None and hasattr(history_instance, "history_api_key"):
        history_instance.history_api_key = f"{api_key.name} ({api_key.prefix})"


def audited(**kwargs) -> HistoricalRecords:
    """The one way models declare an audit history, so every history table has the same columns."""
    from .models import HistoryActor

    return HistoricalRecords(bases=[HistoryActor], get_user=history_user, **kwargs)
