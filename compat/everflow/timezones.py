"""Everflow's timezone table: the ``timezone_id`` its API takes, and the IANA zone each id names.

Everflow identifies a time zone by an integer (``timezone_id``) that its ``GET /v1/meta/timezones`` lists as
``{"timezone_id", "timezone_name", "timezone", "utc_offset"}``: ``timezone`` is the IANA name (the field to key
on), ``timezone_name`` a display label and ``utc_offset`` the offset in effect now (both shift with DST).

Sources: Everflow's developer documentation ("Timezones" user guide and the metadata reference, read December
2026): ids 1-16 from its published table, 67 = UTC (its documented default, "Greenwich Mean Time (UTC)"),
80 = America/New_York, 85 = America/Chicago and 99 = Pacific/Pago_Pago ("Samoa Standard Time"). Ids 81-98 are
*inferred*: Everflow numbers its zones in the order of the classic Java time-zone list, and in that list the 19
zones from America/New_York to Pacific/Pago_Pago put America/Chicago fifth, exactly as ids 80, 85 and 99 are
documented; 90 (America/Los_Angeles in that order) is the id of the seed's own example. Each row says whether it
was read from Everflow's documentation (``verified``). Ids the documentation we could read does not give
(17-66, 68-79) are not listed, so they answer ``400`` like any unknown id; add a row here when a customer needs
one (docs/migration-everflow.md).
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone


@dataclass(frozen=True)
class EverflowTimezone:
    timezone_id: int
    zone: str  # IANA name
    label: str = ""  # Everflow's display name, where its documentation gives one
    verified: bool = True  # read from Everflow's documentation (False: inferred from its ordering)

    @property
    def name(self) -> str:
        return self.label or self.zone

    def utc_offset(self, at: datetime | None = None) -> str:
        """The offset in effect at ``at`` (default now) as Everflow writes it: ``+14:00``, ``-05:00``."""
        at = at or timezone.now()
        offset = at.astimezone(zoneinfo.ZoneInfo(self.zone)).utcoffset()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, minutes = divmod(abs(minutes), 60)
        return f"{sign}{hours:02d}:{minutes:02d}"


def _row(timezone_id: int, zone: str, label: str = "", verified: bool = True) -> tuple[int, EverflowTimezone]:
    return timezone_id, EverflowTimezone(timezone_id, zone, label, verified)


EVERFLOW_TIMEZONES: dict[int, EverflowTimezone] = dict(
    [
        _row(1, "Pacific/Kiritimati", "Line Is. Time (Pacific/Kiritimati)"),
        _row(2, "Pacific/Enderbury"),
        _row(3, "Pacific/Tongatapu"),
        _row(4, "Pacific/Chatham"),
        _row(5, "Pacific/Auckland"),
        _row(6, "Pacific/Fiji"),
        _row(7, "Asia/Kamchatka"),
        _row(8, "Pacific/Norfolk"),
        _row(9, "Australia/Lord_Howe"),
        _row(10, "Pacific/Guadalcanal"),
        _row(11, "Australia/Adelaide"),
        _row(12, "Australia/Sydney"),
        _row(13, "Australia/Brisbane"),
        _row(14, "Australia/Darwin"),
        _row(15, "Asia/Seoul"),
        _row(16, "Asia/Tokyo"),
        _row(67, "UTC", "Greenwich Mean Time (UTC)"),
        _row(80, "America/New_York"),
        _row(81, "America/Bogota", verified=False),
        _row(82, "America/Lima", verified=False),
        _row(83, "America/Panama", verified=False),
        _row(84, "America/Mexico_City", verified=False),
        _row(85, "America/Chicago"),
        _row(86, "America/El_Salvador", verified=False),
        _row(87, "America/Denver", verified=False),
        _row(88, "America/Mazatlan", verified=False),
        _row(89, "America/Phoenix", verified=False),
        _row(90, "America/Los_Angeles", verified=False),
        _row(91, "America/Tijuana", verified=False),
        _row(92, "Pacific/Pitcairn", verified=False),
        _row(93, "America/Anchorage", verified=False),
        _row(94, "Pacific/Gambier", verified=False),
        _row(95, "America/Adak", verified=False),
        _row(96, "Pacific/Marquesas", verified=False),
        _row(97, "Pacific/Honolulu", verified=False),
        _row(98, "Pacific/Niue", verified=False),
        _row(99, "Pacific/Pago_Pago", "Samoa Standard Time (Pacific/Pago_Pago)"),
    ]
)

UTC_TIMEZONE_ID = 67


def zone_name_for(timezone_id: int) -> str | None:
    """The IANA name of an Everflow ``timezone_id``, or None for an id the table does not hold."""
    row = EVERFLOW_TIMEZONES.get(timezone_id)
    return row.zone if row is not None else None


def timezones_listing(at: datetime | None = None) -> list[dict]:
    """The table in the shape of Everflow's ``GET /v1/meta/timezones`` rows, offsets as in effect at ``at``."""
    return [
        {
            "timezone_id": row.timezone_id,
            "timezone_name": row.name,
            "timezone": row.zone,
            "utc_offset": row.utc_offset(at),
        }
        for row in EVERFLOW_TIMEZONES.values()
    ]
