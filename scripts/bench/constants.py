"""The shape of the benchmark dataset, and the repository root (put on ``sys.path`` for Django)."""

import sys
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://app:app@127.0.0.1:5432/app"
ZONE_NAME = "Europe/Prague"
ZONE = ZoneInfo(ZONE_NAME)
REFERENCE_CURRENCY = "CZK"
HISTORY_DAYS = 730
# currency: (share of conversions, usual country, units per EUR, decimals of typical prices)
CURRENCIES = {
    "CZK": (0.60, "CZ", 25.0, 0),
    "EUR": (0.26, "SK", 1.0, 2),
    "HUF": (0.07, "HU", 395.0, 0),
    "RON": (0.06, "RO", 4.97, 2),
    "PLN": (0.0075, "PL", 4.30, 2),
    "CHF": (0.0025, "CH", 0.95, 2),
}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 8, 8, 8, 8, 9, 10, 11, 11, 9, 6, 3]
TYPES = (["purchase"] * 85) + (["signup"] * 8) + (["upgrade"] * 5) + (["custom"] * 2)
STATUSES = (["approved"] * 88) + (["pending"] * 5) + (["refunded"] * 4) + (["rejected"] * 3)
FIRST_NAMES = ["Jana", "Petr", "Eva", "Tomáš", "Lucie", "John", "Anna", "Marek", "Zoltán", "Ola", "Ioana", "Luca"]
SURNAMES = ["Nováková", "Svoboda", "Smith", "Kowalska", "Horváth", "Dvořák", "Popescu", "Brown", "Müller"]
CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("1e-12")
CHUNK_ROWS = 50_000
INGEST_ITEMS = 1000
