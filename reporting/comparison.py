"""The attribution model comparison: the credit every model would give, side by side, over the same touchpoints.

One Python function, ``comparison_buckets``, computes the buckets of some local days from the raw rows: the range's
conversions without explicit credit, their candidates from ``conversions.services.conversions_candidates`` (the one
place the candidate rules live) and, for each model, ``choose_credit`` and ``split_money`` (the pure functions that
store credit). It fills ``ComparisonRollup`` a day at a time (delete + insert, with the other rollups, from the same
marks), the report over dirty days and the nightly check, so the three cannot disagree.

The stored credit (``Attribution``) keeps driving every other report; this one only compares.

Invalidation: a conversion write marks its day (as for every rollup). A touchpoint written, changed or deleted
re-attributes the conversions it can reach, and the re-attribution marks the day of every touch-credited
conversion it processes, whether its stored credit moved or not (another model's may have). Deleting a campaign or
delivery, or moving a delivery to another campaign, marks the days its touchpoints reach
(``touchpoints_reach_days_mark``). A conversion that lost its contact keeps its frozen stored credit under every
model, as storing any model would. Should candidate rules ever read settings that change after a conversion is
stored (an organization's windows, say), the writer of those settings must mark the days concerned (or run
``rebuild_aggregates --force``), as for any other input of a rollup.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Q, Sum

from accounts.models import AttributionModel, Organization
from conversions.attribution import choose_credit, split_money
from conversions.models import CREDITED_MONEY_FIELDS, Attribution, Campaign, Conversion, Delivery, RollupMark
from conversions.services import conversions_candidates

from .aggregation import MONEY_MEASURES
from .models import BUCKET_CREDIT_NUMBER_DECIMAL_PLACES, BUCKET_MONEY_MAX_DIGITS, ComparisonRollup
from .selectors import ReportQuery, _number, round_money

COMPARISON_CHUNK_DAYS = 7  # local days whose conversions and touchpoints are read at once
# Bucket key: (day, model, campaign_id, delivery_id, currency, country, type, status); neither campaign nor delivery
# means "no candidate". Measures: rows, number (count × weight), then the money columns in MONEY_MEASURES order.
BUCKET_MEASURES = ("rows_number", "conversions_number", *MONEY_MEASURES)
CONVERSION_FIELDS = (
    "id",
    "organization_id",
    "contact_id",
    "campaign_id",
    "delivery_id",
    "converted_at",
    "converted_date",
    "attribution_model",
    "attribution_window",
    "attribution_window_explicit",
    "count",
    "currency",
    "country",
    "type",
    "status",
    *CREDITED_MONEY_FIELDS,
)


def comparison_models() -> list[str]:
    """Every attribution model, in their declaration order (the default of the report's ``models``)."""
    return list(AttributionModel.values)


def _chunks(days: Sequence[date], size: int) -> Iterable[list[date]]:
    for start in range(0, len(days), size):
        yield list(days[start : start + size])


def _add(buckets: dict, key: tuple, count: int, weight: Decimal, money: dict) -> None:
    measures = buckets.get(key)
    if measures is None:
        measures = buckets[key] = [Decimal(0)] * len(BUCKET_MEASURES)
    measures[0] += 1
    measures[1] += count * weight
    for index, name in enumerate(MONEY_MEASURES, start=2):
        measures[index] += money[name] or 0


def _frozen_credit(conversions: list[Conversion]) -> dict:
    """The stored credit of conversions without a contact: what storing any model keeps for them (their
    touchpoints went with the contact), as ``{conversion_id: [(campaign_id, delivery_id, weight, money)]}``."""
    ids = [conversion.pk for conversion in conversions if conversion.contact_id is None]
    frozen: dict = {}
    if not ids:
        return frozen
    for row in Attribution.objects.filter(conversion_id__in=ids).order_by("conversion_id", "-weight", "pk"):
        money = {name: getattr(row, name) for name in CREDITED_MONEY_FIELDS}
        frozen.setdefault(row.conversion_id, []).append((row.campaign_id, row.delivery_id, row.weight, money))
    return frozen


def comparison_buckets(organization: Organization, days: Iterable[date], *, models: Sequence[str]) -> dict:
    """``{bucket key: measures}`` for these local days under each of ``models``, computed from the raw rows.

    Per conversion and model, the credit is ``choose_credit(model, candidates)`` and each amount is
    ``split_money(amount, weights)``: exactly the rows storing that model would write. The money splits are shared
    between models that chose the same weights (one touch: every model gives it 100 %).
    """
    buckets: dict = {}
    for chunk in _chunks(sorted(set(days)), COMPARISON_CHUNK_DAYS):
        conversions = list(
            Conversion.objects.filter(
                organization=organization, converted_date__in=chunk, campaign__isnull=True, delivery__isnull=True
            )
            .only(*CONVERSION_FIELDS)
            .order_by()
        )
        for conversion in conversions:
            conversion.organization = organization  # candidate rules may read its settings; no query per row
        frozen = _frozen_credit(conversions)
        for conversion, candidates in zip(conversions, conversions_candidates(conversions), strict=True):
            dimensions = (conversion.currency, conversion.country, conversion.type, conversion.status)
            amounts = {name: getattr(conversion, name) for name in CREDITED_MONEY_FIELDS}
            splits: dict[tuple, dict] = {}
            for model in models:
                if conversion.contact_id is None:
                    credit = frozen.get(conversion.pk, [])
                else:
                    chosen = choose_credit(model, candidates)
                    weights = tuple(item.weight for item in chosen)
                    if weights not in splits:
                        splits[weights] = {name: split_money(amount, weights) for name, amount in amounts.items()}
                    money = splits[weights]
                    credit = [
                        (item.campaign_id, item.delivery_id, item.weight, {name: money[name][index] for name in money})
                        for index, item in enumerate(chosen)
                    ]
                if not credit:
                    credit = [(None, None, Decimal(1), amounts)]
                for campaign_id, delivery_id, weight, money_share in credit:
                    key = (conversion.converted_date, model, campaign_id, delivery_id, *dimensions)
                    _add(buckets, key, conversion.count, weight, money_share)
    return buckets


# --- The rollup -------------------------------------------------------------------------------------------------


def _days_between(first: date, last: date) -> list[date]:
    return [date.fromordinal(ordinal) for ordinal in range(first.toordinal(), last.toordinal() + 1)]


@transaction.atomic
def comparison_rollup_replace(*, organization: Organization, first: date, last: date) -> int:
    """Replace the comparison buckets of ``first..last`` by a recount of the raw rows (delete + insert). Idempotent;
    the caller (``services._replace_buckets``) holds the days' locks. Returns the number of buckets written."""
    ComparisonRollup.objects.filter(organization=organization, day__gte=first, day__lte=last).delete()
    buckets = comparison_buckets(organization, _days_between(first, last), models=comparison_models())
    rows = [
        ComparisonRollup(
            organization_id=organization.pk,
            day=day,
            model=model,
            campaign_id=campaign_id,
            delivery_id=delivery_id,
            currency=currency,
            country=country,
            type=type_,
            status=status,
            **dict(zip(BUCKET_MEASURES, measures, strict=True)),
        )
        for (day, model, campaign_id, delivery_id, currency, country, type_, status), measures in buckets.items()
    ]
    ComparisonRollup.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def comparison_mismatched_days(*, organization: Organization, first: date, last: date) -> dict[date, str]:
    """Days of ``first..last`` whose comparison buckets differ from a recount of the raw rows, with what differs."""
    expected: dict[date, dict] = {}
    for key, measures in comparison_buckets(
        organization, _days_between(first, last), models=comparison_models()
    ).items():
        expected.setdefault(key[0], {})[key] = tuple(measures)
    actual: dict[date, dict] = {}
    stored = ComparisonRollup.objects.filter(organization=organization, day__gte=first, day__lte=last)
    for row in stored.order_by():
        key = (
            row.day, row.model, row.campaign_id, row.delivery_id, row.currency, row.country, row.type, row.status
        )  # fmt: skip
        actual.setdefault(row.day, {})[key] = tuple(getattr(row, name) for name in BUCKET_MEASURES)
    problems = {}
    for day in sorted(set(expected) | set(actual)):
        want, have = expected.get(day, {}), actual.get(day, {})
        if want != have:
            missing, extra = len(set(want) - set(have)), len(set(have) - set(want))
            changed = sum(1 for key in set(want) & set(have) if want[key] != have[key])
            problems[day] = f"comparison rollup: {missing} missing, {extra} extra, {changed} wrong buckets"
    return problems


# --- The report -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonFigures:
    """Credited conversions (sum of count × weight) and reference amounts, rounded like every report."""

    number: Decimal = Decimal(0)
    amount_with_tax: Decimal = Decimal("0.00")
    amount_without_tax: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class ComparisonRow:
    target_id: object
    name: str
    by_model: dict[str, ComparisonFigures]


@dataclass(frozen=True)
class Comparison:
    currency: str
    models: list[str]
    campaigns: list[ComparisonRow] = field(default_factory=list)
    deliveries: list[ComparisonRow] = field(default_factory=list)
    totals: dict[str, ComparisonFigures] = field(default_factory=dict)
    uncredited: ComparisonFigures = ComparisonFigures()

    @property
    def totals_equal(self) -> bool:
        return len({self.totals[model] for model in self.models}) <= 1


def _figures(sums: list[Decimal] | None) -> ComparisonFigures:
    number, with_tax, without_tax = sums or (Decimal(0), Decimal(0), Decimal(0))
    return ComparisonFigures(_number(number), round_money(with_tax), round_money(without_tax))


def _sum_into(result: dict, key: tuple, number, with_tax, without_tax) -> None:
    sums = result.setdefault(key, [Decimal(0), Decimal(0), Decimal(0)])
    sums[0] += number
    sums[1] += with_tax or 0
    sums[2] += without_tax or 0


DIMENSION_COLUMNS = {"currency": "currency", "country": "country", "type": "type", "status": "status"}


def _sums_by_target(query: ReportQuery, models: Sequence[str]) -> dict[tuple, list[Decimal]]:
    """``{(model, campaign_id, delivery_id): [number, reference with tax, reference without tax]}``: clean days
    from the rollup (one GROUP BY), dirty days computed from the raw rows by ``comparison_buckets``."""
    organization, filters = query.organization, query.filters
    dirty = sorted(
        set(
            RollupMark.objects.filter(organization=organization, day__gte=query.date_from, day__lte=query.date_to)
            .values_list("day", flat=True)
            .distinct()
        )
    )
    output = DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=BUCKET_CREDIT_NUMBER_DECIMAL_PLACES)
    clean = (
        ComparisonRollup.objects.filter(
            Q(organization=organization, day__gte=query.date_from, day__lte=query.date_to, model__in=list(models))
            & filters.dimensions_q(DIMENSION_COLUMNS)
        )
        .exclude(day__in=dirty)
        .values("model", "campaign_id", "delivery_id")
        .annotate(
            number=Sum("conversions_number", output_field=output),
            with_tax=Sum("reference_revenue"),
            without_tax=Sum("reference_revenue_without_tax"),
        )
        .order_by()
    )
    result: dict[tuple, list[Decimal]] = {}
    for row in clean:
        key = (row["model"], row["campaign_id"], row["delivery_id"])
        _sum_into(result, key, row["number"] or 0, row["with_tax"], row["without_tax"])
    if dirty:
        allowed = {
            index: set(values)
            for index, values in enumerate((filters.currencies, filters.countries, filters.types, filters.statuses))
            if values
        }
        for key, measures in comparison_buckets(organization, dirty, models=models).items():
            dimensions = key[4:]
            if all(dimensions[index] in values for index, values in allowed.items()):
                _sum_into(result, key[1:4], measures[1], measures[4], measures[5])
    return result


def _rows(models, sums: dict, names: dict) -> list[ComparisonRow]:
    rows = [
        ComparisonRow(
            target_id, names.get(target_id, ""), {model: _figures(sums.get((model, target_id))) for model in models}
        )
        for target_id in {target_id for _, target_id in sums}
    ]
    rows.sort(
        key=lambda row: (
            -max(figures.amount_with_tax for figures in row.by_model.values()),
            row.name,
            str(row.target_id),
        )
    )
    return rows


def attribution_comparison(query: ReportQuery, *, models: Sequence[str]) -> Comparison:
    """Credited conversions and reference revenue per campaign and per delivery under each of ``models``, over the
    range's conversions without explicit credit; with each model's total and the uncredited part (conversions
    without any candidate, the same under every model). Each model's total plus the uncredited part is the
    conversions' own total, so totals are equal across models (``totals_equal``)."""
    models = list(models)
    by_target = _sums_by_target(query, models)
    campaigns: dict[tuple, list[Decimal]] = {}
    deliveries: dict[tuple, list[Decimal]] = {}
    totals: dict[str, list[Decimal]] = {}
    uncredited: dict[str, list[Decimal]] = {}
    for (model, campaign_id, delivery_id), (number, with_tax, without_tax) in by_target.items():
        if campaign_id is None and delivery_id is None:
            _sum_into(uncredited, model, number, with_tax, without_tax)
            continue
        _sum_into(totals, model, number, with_tax, without_tax)
        if campaign_id is not None:
            _sum_into(campaigns, (model, campaign_id), number, with_tax, without_tax)
        if delivery_id is not None:
            _sum_into(deliveries, (model, delivery_id), number, with_tax, without_tax)
    organization = query.organization
    campaign_names = dict(
        Campaign.objects.for_organization(organization)
        .filter(pk__in={key[1] for key in campaigns})
        .values_list("pk", "name")
    )
    delivery_names = dict(
        Delivery.objects.for_organization(organization)
        .filter(pk__in={key[1] for key in deliveries})
        .values_list("pk", "name")
    )
    return Comparison(
        currency=organization.reference_currency,
        models=models,
        campaigns=_rows(models, campaigns, campaign_names),
        deliveries=_rows(models, deliveries, delivery_names),
        totals={model: _figures(totals.get(model)) for model in models},
        uncredited=_figures(uncredited.get(models[0])) if models else ComparisonFigures(),
    )
