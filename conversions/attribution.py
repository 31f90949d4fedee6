"""Pure attribution arithmetic: which touchpoints earn credit and how credit is split to the cent.

Kept free of the database so property tests can exercise it directly; ``services.conversion_attribute``
feeds it rows and stores what it returns.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from accounts.models import AttributionModel

from .models import CENT, WEIGHT_DECIMAL_PLACES

WEIGHT_QUANTUM = Decimal(1).scaleb(-WEIGHT_DECIMAL_PLACES)


@dataclass(frozen=True)
class Candidate:
    """A touchpoint that may earn credit: its time, a tie-breaking key, and the target it credits."""

    occurred_at: datetime
    sort_key: str
    campaign_id: object
    delivery_id: object


@dataclass(frozen=True)
class Credit:
    campaign_id: object
    delivery_id: object
    weight: Decimal


def split_exactly(total: Decimal, shares: Sequence[int], quantum: Decimal) -> list[Decimal]:
    """Split ``total`` in proportion to integer ``shares`` into multiples of ``quantum`` that sum to ``total``.

    Largest-remainder method: every part is rounded down, then the leftover quanta go to the parts with the
    largest remainders (earlier parts first on ties), so the result is deterministic and exact.
    """
    share_sum = sum(shares)
    if share_sum <= 0:
        raise ValueError("shares must sum to a positive number")
    exact = [total * share / share_sum for share in shares]
    parts = [value.quantize(quantum, rounding=ROUND_DOWN) for value in exact]
    leftover = int(((total - sum(parts)) / quantum).to_integral_value())
    by_remainder = sorted(range(len(parts)), key=lambda index: (-(exact[index] - parts[index]), index))
    for index in by_remainder[:leftover]:
        parts[index] += quantum
    return parts


def choose_credit(model: str, candidates: Sequence[Candidate]) -> list[Credit]:
    """Credit rows for one conversion from its candidate touchpoints (already inside the window).

    ``last_touch`` credits the latest touchpoint, ``first_touch`` the earliest (ties broken by ``sort_key``),
    ``linear`` gives each touchpoint an equal share and merges the shares of touchpoints with the same target.
    """
    if not candidates:
        return []
    ordered = sorted(candidates, key=lambda candidate: (candidate.occurred_at, candidate.sort_key))
    if model == AttributionModel.FIRST_TOUCH:
        chosen = [ordered[0]]
    elif model == AttributionModel.LAST_TOUCH:
        chosen = [ordered[-1]]
    else:
        chosen = ordered
    touches_per_target: dict[tuple, int] = {}
    for candidate in chosen:
        target = (candidate.campaign_id, candidate.delivery_id)
        touches_per_target[target] = touches_per_target.get(target, 0) + 1
    targets = list(touches_per_target)
    weights = split_exactly(Decimal(1), [touches_per_target[target] for target in targets], WEIGHT_QUANTUM)
    return [
        Credit(campaign_id, delivery_id, weight)
        for (campaign_id, delivery_id), weight in zip(targets, weights, strict=True)
    ]


def split_money(amount: Decimal | None, weights: Sequence[Decimal]) -> list[Decimal | None]:
    """Credited amounts in proportion to ``weights``, summing to ``amount`` to the cent (``None`` stays ``None``)."""
    if not weights:
        return []
    if amount is None:
        return [None] * len(weights)
    scale = Decimal(1).scaleb(WEIGHT_DECIMAL_PLACES)
    return split_exactly(amount, [int(weight * scale) for weight in weights], CENT)
