"""Pure attribution arithmetic: which touchpoints earn credit and how credit is split to the cent.

Kept free of the database so property tests can exercise it directly; ``services.conversion_attribute``
feeds it rows and stores what it returns. One rule path: ``explain`` classifies every touchpoint of a contact
around a conversion and computes the credit from the touches it counted; the credit service stores exactly
that credit, and the explain endpoint shows exactly that classification, so the two cannot disagree.
"""

import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from accounts.models import ATTRIBUTION_WINDOW_DEFAULT_DAYS, AttributionModel

from .models import CENT, WEIGHT_DECIMAL_PLACES

WEIGHT_QUANTUM = Decimal(1).scaleb(-WEIGHT_DECIMAL_PLACES)
# Time-decay weights are irrational: each touch's exact weight (to TIME_DECAY_PRECISION_DIGITS significant
# digits) is scaled by TIME_DECAY_SHARE_SCALE and rounded half-even to an integer share, at least 1. Six digits
# finer than the stored weight, so the rounding of a share never moves a weight by a quantum on its own.
TIME_DECAY_SHARE_SCALE = 10 ** (WEIGHT_DECIMAL_PLACES + 6)
TIME_DECAY_PRECISION_DIGITS = 40
TIME_DECAY_HALVINGS_PER_WINDOW = 4  # the weight halves every window / 4 before the conversion (PostHog's rule)
POSITION_ENDS_SHARE = 2  # per middle touch: first and last get 2 × (n − 2) shares each, the middle 1 each
MICROSECONDS_PER_DAY = 86_400 * 1_000_000


class Outcome:
    """Why a touchpoint did or did not earn credit (the explain endpoint's ``outcome``)."""

    COUNTED = "counted"
    OUTSIDE_WINDOW = "outside_window"
    AFTER_CONVERSION = "after_conversion"
    KIND_NOT_COUNTED = "kind_not_counted"
    OPENS_NOT_COUNTED = "opens_not_counted"
    MACHINE_OPEN = "machine_open"
    EXPLICIT_OVERRIDE = "explicit_override"

    ALL = (
        COUNTED, OUTSIDE_WINDOW, AFTER_CONVERSION, KIND_NOT_COUNTED, OPENS_NOT_COUNTED, MACHINE_OPEN, EXPLICIT_OVERRIDE,
    )  # fmt: skip


CLICK = "click"
OPEN = "open"


@dataclass(frozen=True)
class Candidate:
    """A touchpoint that may earn credit: its time, a tie-breaking key, and the target it credits.

    ``window_days`` (the window that applied to this touch) and ``converted_at`` (the conversion's time) are only
    read by ``time_decay``; the other models ignore them.
    """

    occurred_at: datetime
    sort_key: str
    campaign_id: object
    delivery_id: object
    window_days: int | None = None
    converted_at: datetime | None = None


@dataclass(frozen=True)
class Credit:
    campaign_id: object
    delivery_id: object
    weight: Decimal


@dataclass(frozen=True)
class AttributionRules:
    """Which touches count for one conversion: the organization's per-kind windows and open settings, and the
    conversion's own window (``override_window_days``) which, when set, replaces both windows."""

    click_window_days: int = ATTRIBUTION_WINDOW_DEFAULT_DAYS
    open_window_days: int = ATTRIBUTION_WINDOW_DEFAULT_DAYS
    count_opens: bool = True
    exclude_machine_opens: bool = True
    override_window_days: int | None = None

    @classmethod
    def for_conversion(cls, conversion) -> "AttributionRules":
        """The rules of a conversion: its organization's settings now, its window when it was given explicitly."""
        organization = conversion.organization
        return cls(
            click_window_days=organization.click_window_days,
            open_window_days=organization.open_window_days,
            count_opens=organization.count_opens,
            exclude_machine_opens=organization.exclude_machine_opens,
            override_window_days=conversion.attribution_window if conversion.attribution_window_explicit else None,
        )

    def window_days(self, kind: str) -> int:
        if self.override_window_days is not None:
            return self.override_window_days
        return self.click_window_days if kind == CLICK else self.open_window_days

    @property
    def longest_window_days(self) -> int:
        if self.override_window_days is not None:
            return self.override_window_days
        return max(self.click_window_days, self.open_window_days)


@dataclass(frozen=True)
class Touch:
    """A touchpoint as the rules see it; ``campaign_id`` is the campaign it credits (its own, else its delivery's)."""

    id: object
    kind: str
    occurred_at: datetime
    campaign_id: object
    delivery_id: object
    is_machine: bool = False


@dataclass(frozen=True)
class TouchExplanation:
    touch: Touch
    outcome: str
    weight: Decimal | None  # counted touches only; they sum to 1


@dataclass(frozen=True)
class Explanation:
    model: str
    rules: AttributionRules
    explicit: bool
    touches: list[TouchExplanation]
    credit: list[Credit] = field(default_factory=list)  # empty when explicit (the explicit target takes it all)


def split_exactly(total: Decimal, shares: Sequence[int], quantum: Decimal, *, ties_to_last: bool = False) -> list:
    """Split ``total`` in proportion to integer ``shares`` into multiples of ``quantum`` that sum to ``total``.

    Largest-remainder method: every part is rounded down, then the leftover quanta go to the parts with the
    largest remainders (earlier parts first on ties, later ones with ``ties_to_last``), so the result is
    deterministic and exact.
    """
    share_sum = sum(shares)
    if share_sum <= 0:
        raise ValueError("shares must sum to a positive number")
    exact = [total * share / share_sum for share in shares]
    parts = [value.quantize(quantum, rounding=ROUND_DOWN) for value in exact]
    leftover = int(((total - sum(parts)) / quantum).to_integral_value())
    tie = -1 if ties_to_last else 1
    by_remainder = sorted(range(len(parts)), key=lambda index: (-(exact[index] - parts[index]), tie * index))
    for index in by_remainder[:leftover]:
        parts[index] += quantum
    return parts


def _time_decay_share(candidate: Candidate, latest: datetime) -> int:
    """``2 ** (−age / (window / 4))`` with the age in microseconds, scaled to an integer share (at least 1).

    A candidate built without ``converted_at`` is aged from the latest candidate, one without ``window_days``
    with the default window (7 days), so ``choose_credit`` stays callable with the original four fields.
    """
    converted_at = candidate.converted_at or latest
    window_days = candidate.window_days or ATTRIBUTION_WINDOW_DEFAULT_DAYS
    age_microseconds = max((converted_at - candidate.occurred_at) // timedelta(microseconds=1), 0)
    with decimal.localcontext() as context:
        context.prec = TIME_DECAY_PRECISION_DIGITS
        exponent = Decimal(-TIME_DECAY_HALVINGS_PER_WINDOW * age_microseconds) / (window_days * MICROSECONDS_PER_DAY)
        weight = Decimal(2) ** exponent
        share = (weight * TIME_DECAY_SHARE_SCALE).to_integral_value(rounding=ROUND_HALF_EVEN)
    return max(int(share), 1)


def _touch_shares(model: str, ordered: Sequence[Candidate]) -> list[int]:
    """Each candidate's integer share of the credit (oldest first); 0 for touches the model gives nothing."""
    count = len(ordered)
    if model == AttributionModel.FIRST_TOUCH:
        return [1] + [0] * (count - 1)
    if model == AttributionModel.LAST_TOUCH:
        return [0] * (count - 1) + [1]
    if model == AttributionModel.TIME_DECAY:
        latest = ordered[-1].occurred_at
        return [_time_decay_share(candidate, latest) for candidate in ordered]
    if model == AttributionModel.POSITION_BASED and count >= 3:
        ends = POSITION_ENDS_SHARE * (count - 2)  # 2(n−2) / 5(n−2) = 40 % each; the middle shares 20 %
        return [ends] + [1] * (count - 2) + [ends]
    return [1] * count  # linear; position_based with one touch (100 %) or two (50/50)


def _allocate(model: str, candidates: Sequence[Candidate]) -> tuple[list[Candidate], list[Decimal], list[Credit]]:
    """The candidates in time order, each one's weight, and the credit per target (weights merged by target).

    The target weights are split first (one split of 1 over the targets, in proportion to the sum of their
    touches' shares), then each target's weight over its touches: so the touch weights of a target add up to
    exactly its stored weight, and linear, first and last touch store the very weights they always did.
    """
    ordered = sorted(candidates, key=lambda candidate: (candidate.occurred_at, candidate.sort_key))
    shares = _touch_shares(model, ordered)
    touches_per_target: dict[tuple, list[int]] = {}
    for index, candidate in enumerate(ordered):
        touches_per_target.setdefault((candidate.campaign_id, candidate.delivery_id), []).append(index)
    targets = [target for target, indexes in touches_per_target.items() if sum(shares[i] for i in indexes) > 0]
    # Time decay: on a tie the later target gets the leftover quantum, so a later touch never weighs less.
    ties_to_last = model == AttributionModel.TIME_DECAY
    target_weights = split_exactly(
        Decimal(1),
        [sum(shares[i] for i in touches_per_target[target]) for target in targets],
        WEIGHT_QUANTUM,
        ties_to_last=ties_to_last,
    )
    weights = [Decimal(0).quantize(WEIGHT_QUANTUM)] * len(ordered)
    for target, target_weight in zip(targets, target_weights, strict=True):
        indexes = touches_per_target[target]
        parts = split_exactly(target_weight, [shares[i] for i in indexes], WEIGHT_QUANTUM, ties_to_last=ties_to_last)
        for index, part in zip(indexes, parts, strict=True):
            weights[index] = part
    credit = [
        Credit(campaign_id, delivery_id, weight)
        for (campaign_id, delivery_id), weight in zip(targets, target_weights, strict=True)
    ]
    return ordered, weights, credit


def choose_credit(model: str, candidates: Sequence[Candidate]) -> list[Credit]:
    """Credit rows for one conversion from its candidate touchpoints (already inside the window).

    ``last_touch`` credits the latest touchpoint, ``first_touch`` the earliest (ties broken by ``sort_key``),
    ``linear`` gives each touchpoint an equal share, ``position_based`` 40 % to the first and to the last and
    20 % shared by the middle (two touches 50/50, one 100 %), ``time_decay`` a share that halves every
    ``window_days / 4`` days of age before ``converted_at``. Shares of touchpoints with the same target merge;
    the weights sum to exactly 1 (largest remainder to ``WEIGHT_QUANTUM``).
    """
    if not candidates:
        return []
    return _allocate(model, candidates)[2]


def touch_weights(model: str, candidates: Sequence[Candidate]) -> list[tuple[Candidate, Decimal]]:
    """Each candidate (oldest first) with the weight it contributed before the merge by target; sums to 1."""
    if not candidates:
        return []
    ordered, weights, _ = _allocate(model, candidates)
    return list(zip(ordered, weights, strict=True))


def classify_touch(touch: Touch, *, converted_at: datetime, rules: AttributionRules, explicit: bool) -> str:
    """Why this touch counts or not, checked in this order: explicit credit, after the conversion, its kind
    (delivered never counts), opens switched off, a machine open, outside its kind's window (inclusive:
    a touch exactly ``window`` days before the conversion counts, like one at the conversion's very time)."""
    if explicit:
        return Outcome.EXPLICIT_OVERRIDE
    if touch.occurred_at > converted_at:
        return Outcome.AFTER_CONVERSION
    if touch.kind not in (CLICK, OPEN):
        return Outcome.KIND_NOT_COUNTED
    if touch.kind == OPEN and not rules.count_opens:
        return Outcome.OPENS_NOT_COUNTED
    if touch.kind == OPEN and touch.is_machine and rules.exclude_machine_opens:
        return Outcome.MACHINE_OPEN
    if touch.occurred_at < converted_at - timedelta(days=rules.window_days(touch.kind)):
        return Outcome.OUTSIDE_WINDOW
    return Outcome.COUNTED


def _candidate(touch: Touch, rules: AttributionRules, converted_at: datetime | None) -> Candidate:
    return Candidate(
        touch.occurred_at,
        str(touch.id),
        touch.campaign_id,
        touch.delivery_id,
        window_days=rules.window_days(touch.kind),
        converted_at=converted_at,
    )


def explain(
    *, model: str, rules: AttributionRules, converted_at: datetime, touches: Sequence[Touch], explicit: bool = False
) -> Explanation:
    """Every touch with its outcome and weight, and the credit the counted touches earn under ``model``."""
    ordered = sorted(touches, key=lambda touch: (touch.occurred_at, str(touch.id)))
    outcomes = [classify_touch(touch, converted_at=converted_at, rules=rules, explicit=explicit) for touch in ordered]
    counted = [
        _candidate(touch, rules, converted_at)
        for touch, outcome in zip(ordered, outcomes, strict=True)
        if outcome == Outcome.COUNTED
    ]
    weight_by_key: dict[str, Decimal] = {}
    credit: list[Credit] = []
    if counted:
        candidates_in_order, weights, credit = _allocate(model, counted)
        weight_by_key = {
            candidate.sort_key: weight for candidate, weight in zip(candidates_in_order, weights, strict=True)
        }
    return Explanation(
        model=model,
        rules=rules,
        explicit=explicit,
        touches=[
            TouchExplanation(touch, outcome, weight_by_key.get(str(touch.id)) if outcome == Outcome.COUNTED else None)
            for touch, outcome in zip(ordered, outcomes, strict=True)
        ],
        credit=credit,
    )


def counted_candidates(*, rules: AttributionRules, converted_at: datetime, touches: Sequence[Touch]) -> list[Candidate]:
    """The candidates ``explain`` counts for a conversion without explicit credit (for callers that compute the
    credit of several models from the same touches, like the model comparison)."""
    return [
        _candidate(touch, rules, converted_at)
        for touch in touches
        if classify_touch(touch, converted_at=converted_at, rules=rules, explicit=False) == Outcome.COUNTED
    ]


def is_money_split(amount: Decimal | None, weights: Sequence[Decimal], parts: Sequence[Decimal | None]) -> bool:
    """Whether ``parts`` is ``split_money(amount, weights)`` up to the order of ties: the same largest-remainder
    split, whichever of the parts with equal remainders got the leftover cents.

    Rows read back from the database come in no fixed order when their weights are equal (0.5/0.5), and an exact
    tie of remainders between different weights (0.25/0.75 of 0.02) gives the cent to whichever part comes first:
    a check that split again in the order it read the rows would flag sound credit.
    """
    if list(parts) == split_money(amount, weights):
        return True
    if amount is None or any(part is None for part in parts) or len(parts) != len(weights) or not weights:
        return False
    scale = Decimal(1).scaleb(WEIGHT_DECIMAL_PLACES)
    shares = [int(weight * scale) for weight in weights]
    share_sum = sum(shares)
    if share_sum <= 0 or sum(parts) != amount:
        return False
    exact = [amount * share / share_sum for share in shares]
    floors = [value.quantize(CENT, rounding=ROUND_DOWN) for value in exact]
    extras = [part - floor for part, floor in zip(parts, floors, strict=True)]
    if any(extra not in (0, CENT) for extra in extras):
        return False
    remainders = [value - floor for value, floor in zip(exact, floors, strict=True)]
    given = [remainder for remainder, extra in zip(remainders, extras, strict=True) if extra]
    passed = [remainder for remainder, extra in zip(remainders, extras, strict=True) if not extra]
    return not given or not passed or min(given) >= max(passed)


def split_money(amount: Decimal | None, weights: Sequence[Decimal]) -> list[Decimal | None]:
    """Credited amounts in proportion to ``weights``, summing to ``amount`` to the cent (``None`` stays ``None``)."""
    if not weights:
        return []
    if amount is None:
        return [None] * len(weights)
    scale = Decimal(1).scaleb(WEIGHT_DECIMAL_PLACES)
    return split_exactly(amount, [int(weight * scale) for weight in weights], CENT)
