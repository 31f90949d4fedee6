"""Exchange-rate look-ups: the latest rate on or before a day, cross rates through EUR (the ECB convention)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .models import ExchangeRate

BASE_CURRENCY = "EUR"
CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("1e-12")


def rate_per_euro(currency: str, on_date: date) -> Decimal | None:
    """Units of ``currency`` per 1 EUR valid on ``on_date``: the latest published rate on or before it."""
    if currency == BASE_CURRENCY:
        return Decimal(1)
    return (
        ExchangeRate.objects.filter(currency=currency, date__lte=on_date)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )


def conversion_rate(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    """Units of ``to_currency`` per unit of ``from_currency`` on ``on_date``, or ``None`` while a rate is missing."""
    if from_currency == to_currency:
        return Decimal(1)
    from_rate = rate_per_euro(from_currency, on_date)
    to_rate = rate_per_euro(to_currency, on_date)
    if from_rate is None or to_rate is None:
        return None
    return to_rate / from_rate


def convert(amount: Decimal | None, rate: Decimal | None) -> Decimal | None:
    """``amount`` times ``rate``, rounded half-up to the cent; ``None`` when either is unknown."""
    if amount is None or rate is None:
        return None
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
