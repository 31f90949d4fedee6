"""How values look in admin lists and read-only fields: short, labelled, never "None".

- ``truncated``: a long value (a 101-character order id, an e-mail, notes, a name) shows its first characters and
  an ellipsis; the whole value is in the ``title``, so it shows on hover, and a list keeps its width.
- ``local_time``: an instant in a given zone with the zone's abbreviation (``2024-05-01 10:30 CEST``);
  ``local_time_cell`` the same for a list, where it may wrap between the date and the time.
- ``money``: an amount with its currency (``250.00 CZK``).
- ``percent``: a weight in [0, 1] as a percentage (``50.00 %``).
- ``nowrap``: a short value kept on one line (a time, an amount).
- ``EMPTY``: what an empty value shows instead of ``None`` or a blank cell.

``HistoryDisplayMixin`` applies the same to the old → new values of a history page.
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.html import format_html
from simple_history.template_utils import HistoricalRecordContextHelper

EMPTY = "—"
TRUNCATE_AT = 24
CENT = Decimal("0.01")


def truncated(value, length: int = TRUNCATE_AT):
    """``value`` as text, cut to ``length`` characters (ellipsis included) with the full text on hover."""
    if value is None or value == "":
        return EMPTY
    text = str(value)
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1].rstrip())


def nowrap(text):
    return format_html('<span class="whitespace-nowrap">{}</span>', text)


def local_time(moment, zone, *, seconds: bool = False) -> str:
    if moment is None:
        return EMPTY
    local = timezone.localtime(moment, zone)
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {local.tzname()}"


def local_time_cell(moment, zone):
    """``local_time`` for a list cell: it may break between the date and the time, nowhere else."""
    if moment is None:
        return EMPTY
    day, time_and_zone = local_time(moment, zone).split(" ", 1)
    return format_html("{} {}", nowrap(day), nowrap(time_and_zone))


def money(amount, currency: str | None) -> str:
    if amount is None:
        return EMPTY
    rounded = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{rounded} {currency}" if currency else str(rounded)


def percent(weight) -> str:
    if weight is None:
        return EMPTY
    return f"{(Decimal(weight) * 100).quantize(CENT, rounding=ROUND_HALF_UP)} %"


# --- History ------------------------------------------------------------------------------------------------------

HISTORY_VALUE_LENGTH = 60


class ZonedHistoryContextHelper(HistoricalRecordContextHelper):
    """Old → new values of a history page: times in the row's organization's zone with its name, "—" for an empty
    value (never "None"), long values cut with the whole value on hover."""

    def __init__(self, model, historical_record, *, zone=None, **kwargs):
        super().__init__(model, historical_record, **kwargs)
        self.zone = zone

    def stringify_delta_change_values(self, change, old, new):
        return self.shown(old), self.shown(new)

    def shown(self, value):
        if value is None or value == "" or value == [] or value == {}:
            return EMPTY
        if isinstance(value, datetime):
            return local_time(value, self.zone or timezone.get_current_timezone(), seconds=True)
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        return format_html("{}", truncated(value, HISTORY_VALUE_LENGTH))


class HistoryDisplayMixin:
    """For a simple-history admin: the history page shows values with ``ZonedHistoryContextHelper``."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ZonedHistoryContextHelper(
            self.model, historical_record, zone=self._history_zone(request, historical_record)
        )

    def _history_zone(self, request, historical_record):
        """The zone of the record's organization, read once per organization and request."""
        organization_id = getattr(historical_record, "organization_id", None)
        if organization_id is None:
            return None
        zones = request.__dict__.setdefault("_history_zones", {})
        if organization_id not in zones:
            zones[organization_id] = historical_record.organization.zone
        return zones[organization_id]
