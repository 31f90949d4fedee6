"""Exchange-rate look-ups: the latest rate on or before a day, cross rates through EUR (the ECB convention)."""

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .models import CENT, ExchangeRate

RATE_FIELD = ExchangeRate._meta.get_field("rate")
RATE_MAX_DIGITS = RATE_FIELD.max_digits
RATE_DECIMAL_PLACES = RATE_FIELD.decimal_places

BASE_CURRENCY = "EUR"
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


RATE_PREFETCH_LOOKBACK_DAYS = 14  # a day's rate is the latest on or before it: weekends and holidays reach back


class RateLookup:
    """Cross rates by (from currency, to currency, day), each per-euro rate looked up in the database once per
    instance; ``prefetch`` reads the rates a whole batch needs in one query."""

    def __init__(self):
        self._rates: dict[tuple, Decimal | None] = {}
        self._per_euro: dict[tuple, Decimal | None] = {}

    def per_euro(self, currency: str, on_date: date) -> Decimal | None:
        key = (currency, on_date)
        if key not in self._per_euro:
            self._per_euro[key] = rate_per_euro(currency, on_date)
        return self._per_euro[key]

    def __call__(self, from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
        key = (from_currency, to_currency, on_date)
        if key not in self._rates:
            if from_currency == to_currency:
                rate = Decimal(1)
            else:  # ``conversion_rate``'s arithmetic, on cached per-euro rates
                from_rate = self.per_euro(from_currency, on_date)
                to_rate = self.per_euro(to_currency, on_date)
                rate = None if from_rate is None or to_rate is None else to_rate / from_rate
            self._rates[key] = rate
        return self._rates[key]

    def prefetch(self, keys: Iterable[tuple[str, date]]) -> None:
        """Read the per-euro rates of these (currency, day) pairs in one query: the rows of the needed currencies
        from ``RATE_PREFETCH_LOOKBACK_DAYS`` before the first day to the last. A day with a row on or before it in
        that range has its answer there (the latest such row); a day without one is left to ``per_euro``'s own
        query, so the answer is always exactly ``rate_per_euro``'s."""
        wanted = {(currency, day) for currency, day in keys if currency != BASE_CURRENCY}
        wanted -= self._per_euro.keys()
        if not wanted:
            return
        days = [day for _, day in wanted]
        rows = (
            ExchangeRate.objects.filter(
                currency__in={currency for currency, _ in wanted},
                date__gte=min(days) - timedelta(days=RATE_PREFETCH_LOOKBACK_DAYS),
                date__lte=max(days),
            )
            .order_by("currency", "date")
            .values_list("currency", "date", "rate")
        )
        by_currency: dict[str, tuple[list, list]] = {}
        for currency, on_date, rate in rows:
            dates, rates = by_currency.setdefault(currency, ([], []))
            dates.append(on_date)
            rates.append(rate)
        for currency, day in wanted:
            dates, rates = by_currency.get(currency, ([], []))
            position = bisect_right(dates, day)
            if position:
                self._per_euro[(currency, day)] = rates[position - 1]


def apply_reference_amounts(conversion, rate_lookup: RateLookup) -> None:
    """Set a conversion's rate and reference amounts from its currency, reference currency and local day (all
    ``None`` while a rate is missing). The one place this arithmetic lives: new writes, refunds and revaluations
    use it."""
    rate = rate_lookup(conversion.currency, conversion.reference_currency, conversion.converted_date)
    conversion.reference_rate = None if rate is None else rate.quantize(RATE_QUANTUM)
    conversion.reference_revenue = convert(conversion.revenue, rate)
    conversion.reference_revenue_without_tax = convert(conversion.revenue_without_tax, rate)
    # Refunds convert at their conversion's rate, as one sum: a full refund is exactly the reference revenue.
    conversion.reference_refunded_revenue = convert(conversion.refunded_revenue, rate)
    conversion.reference_refunded_revenue_without_tax = convert(conversion.refunded_revenue_without_tax, rate)


def convert(amount: Decimal | None, rate: Decimal | None) -> Decimal | None:
    """``amount`` times ``rate``, rounded half-up to the cent; ``None`` when either is unknown."""
    if amount is None or rate is None:
        return None
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _fits_rate_column(rate: Decimal) -> bool:
    """Whether a rate is stored exactly by ``ExchangeRate.rate`` (the bulk import skips model validation)."""
    _, digits, exponent = rate.as_tuple()
    digits = list(digits)
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:  # "24.6500" has two decimals
        digits.pop()
        exponent += 1
    decimals = max(0, -exponent)
    whole_digits = max(0, len(digits) + exponent)
    return decimals <= RATE_DECIMAL_PLACES and whole_digits <= RATE_MAX_DIGITS - RATE_DECIMAL_PLACES


class RateFileError(ValueError):
    """The rates file is not in the ECB history format; the message names the line."""


def parse_ecb_history(lines) -> tuple[list[tuple], list[str]]:
    """Parse the ECB history CSV (``Date,USD,JPY,...``; rates per 1 EUR; ``N/A`` or empty cells; trailing commas).

    Returns ``(rows, warnings)`` with rows ``(date, currency, rate)``. Columns that are not current ISO 4217 codes
    (the ECB keeps retired ones such as CYP or SIT) are skipped with a warning; a malformed date or number is a
    ``RateFileError`` naming the line, so nothing half-imported is ever stored.
    """
    import csv
    from decimal import InvalidOperation

    from core.validators import currency_codes

    reader = csv.reader(lines)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise RateFileError("The file is empty.") from None
    if not header or header[0].lstrip("\ufeff").lower() != "date":
        raise RateFileError("Line 1: the header must start with 'Date' (ECB history format).")
    known = currency_codes()
    columns = {}
    warnings = []
    for index, name in enumerate(header[1:], start=1):
        if not name:
            continue
        if name.upper() not in known:
            warnings.append(f"Skipped column '{name}': not a current ISO 4217 currency.")
            continue
        columns[index] = name.upper()
    rows = []
    for line_number, cells in enumerate(reader, start=2):
        if not cells or not any(cell.strip() for cell in cells):
            continue
        try:
            on_date = date.fromisoformat(cells[0].strip())
        except ValueError:
            raise RateFileError(f"Line {line_number}: '{cells[0]}' is not a date (YYYY-MM-DD).") from None
        for index, currency in columns.items():
            cell = cells[index].strip() if index < len(cells) else ""
            if cell in ("", "N/A", "NA", "-"):
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                raise RateFileError(f"Line {line_number}: '{cell}' is not a number ({currency}).") from None
            if not rate.is_finite() or rate <= 0:
                raise RateFileError(f"Line {line_number}: the {currency} rate must be a positive number.")
            if not _fits_rate_column(rate):
                raise RateFileError(
                    f"Line {line_number}: the {currency} rate '{cell}' does not fit: at most "
                    f"{RATE_MAX_DIGITS - RATE_DECIMAL_PLACES} digits before the decimal point and "
                    f"{RATE_DECIMAL_PLACES} after it."
                )
            rows.append((on_date, currency, rate))
    return rows, warnings
