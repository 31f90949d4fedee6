"""The pure rules of ``conversions.attribution``: time decay, position based, and the classification of touches
(``explain``) that both the stored credit and the explain endpoint come from."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import AttributionModel
from conversions.attribution import (
    AttributionRules,
    Candidate,
    Outcome,
    Touch,
    choose_credit,
    classify_touch,
    counted_candidates,
    explain,
    split_money,
    touch_weights,
)

CONVERTED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NEW_MODELS = [AttributionModel.TIME_DECAY, AttributionModel.POSITION_BASED]
amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2)
windows = st.integers(1, 90)


@st.composite
def journeys(draw, distinct_targets: bool = False, min_size: int = 0, same_window: bool = False):
    """Candidates before ``CONVERTED_AT``, each with a window it lies in (ages to the microsecond)."""
    size = draw(st.integers(min_size, 12))
    shared_window = draw(windows)
    result = []
    for index in range(size):
        window = shared_window if same_window else draw(windows)
        age = draw(st.integers(0, window * 86_400 * 1_000_000))
        target = f"c{index}" if distinct_targets else draw(st.sampled_from(["c1", "c2", "c3"]))
        result.append(
            Candidate(
                CONVERTED_AT - timedelta(microseconds=age),
                draw(st.uuids()).hex,
                target,
                draw(st.sampled_from([None, "d1"])),
                window_days=window,
                converted_at=CONVERTED_AT,
            )
        )
    return result


@given(st.sampled_from(NEW_MODELS), journeys(), amounts)
def test_new_models_weights_sum_to_one_and_money_to_the_cent(model, candidates, amount):
    credit = choose_credit(model, candidates)
    if not candidates:
        assert credit == []
        return
    weights = [item.weight for item in credit]
    assert sum(weights) == 1
    assert all(weight > 0 and weight == weight.quantize(Decimal("1e-12")) for weight in weights)
    assert len({(item.campaign_id, item.delivery_id) for item in credit}) == len(credit)
    parts = split_money(amount, weights)
    assert sum(parts) == amount
    assert all(part >= 0 and part == part.quantize(Decimal("0.01")) for part in parts)
    per_touch = touch_weights(model, candidates)
    assert sum(weight for _, weight in per_touch) == 1
    for item in credit:  # a target's weight is the sum of its touches' weights
        target = (item.campaign_id, item.delivery_id)
        assert item.weight == sum(w for c, w in per_touch if (c.campaign_id, c.delivery_id) == target)


@given(journeys(distinct_targets=True, same_window=True))
def test_time_decay_later_touches_never_weigh_less(candidates):
    weights = [weight for _, weight in touch_weights(AttributionModel.TIME_DECAY, candidates)]
    assert weights == sorted(weights)


def test_time_decay_halves_every_quarter_window():
    touches = [
        Candidate(CONVERTED_AT - timedelta(days=days), str(days), f"c{days}", None, 8, CONVERTED_AT)
        for days in (0, 2, 4)
    ]
    weights = {item.campaign_id: item.weight for item in choose_credit(AttributionModel.TIME_DECAY, touches)}
    # shares 1, 1/2, 1/4 of 7/4: 4/7, 2/7, 1/7
    assert weights == {
        "c0": Decimal("0.571428571429"),
        "c2": Decimal("0.285714285714"),
        "c4": Decimal("0.142857142857"),
    }


def test_time_decay_reads_each_touchs_own_window():
    open_a_week_ago = Candidate(CONVERTED_AT - timedelta(days=7), "a", "open", None, 28, CONVERTED_AT)
    click_a_week_ago = Candidate(CONVERTED_AT - timedelta(days=7), "b", "click", None, 7, CONVERTED_AT)
    weights = {
        item.campaign_id: item.weight for item in choose_credit("time_decay", [open_a_week_ago, click_a_week_ago])
    }
    # 2^-1 against 2^-4: 8/9 and 1/9
    assert weights == {"open": Decimal("0.888888888889"), "click": Decimal("0.111111111111")}


@given(journeys(distinct_targets=True, min_size=3))
def test_position_based_ends_get_forty_percent_each(candidates):
    weights = [weight for _, weight in touch_weights(AttributionModel.POSITION_BASED, candidates)]
    assert weights[0] == weights[-1] == Decimal("0.4")
    assert sum(weights[1:-1]) == Decimal("0.2")
    assert max(weights[1:-1]) - min(weights[1:-1]) <= Decimal("1e-12")


@pytest.mark.parametrize(("count", "expected"), [(1, ["1"]), (2, ["0.5", "0.5"]), (3, ["0.4", "0.2", "0.4"])])
def test_position_based_with_few_touches(count, expected):
    candidates = [Candidate(CONVERTED_AT - timedelta(hours=i), str(i), f"c{i}", None) for i in range(count)]
    weights = [weight for _, weight in touch_weights(AttributionModel.POSITION_BASED, candidates)]
    assert weights == [Decimal(value) for value in expected]


def test_position_based_merges_shares_of_one_target():
    candidates = [
        Candidate(CONVERTED_AT - timedelta(hours=i), str(i), "same" if i != 1 else "middle", None) for i in range(3)
    ]
    weights = {item.campaign_id: item.weight for item in choose_credit("position_based", candidates)}
    assert weights == {"same": Decimal("0.8"), "middle": Decimal("0.2")}


# --- Which touches count: classify_touch / explain -------------------------------------------------------------------

RULES = AttributionRules(click_window_days=3, open_window_days=10)


def _touch(kind="click", before=timedelta(days=1), is_machine=False, target="c1") -> Touch:
    return Touch(f"{kind}-{before}-{target}", kind, CONVERTED_AT - before, target, None, is_machine)


@pytest.mark.parametrize(
    ("touch", "rules", "outcome"),
    [
        (_touch("click", timedelta(days=3)), RULES, Outcome.COUNTED),
        (_touch("click", timedelta(days=3, microseconds=1)), RULES, Outcome.OUTSIDE_WINDOW),
        (_touch("open", timedelta(days=10)), RULES, Outcome.COUNTED),
        (_touch("open", timedelta(days=10, microseconds=1)), RULES, Outcome.OUTSIDE_WINDOW),
        (_touch("click", timedelta(0)), RULES, Outcome.COUNTED),
        (_touch("click", -timedelta(microseconds=1)), RULES, Outcome.AFTER_CONVERSION),
        (_touch("delivered"), RULES, Outcome.KIND_NOT_COUNTED),
        (_touch("open"), AttributionRules(count_opens=False), Outcome.OPENS_NOT_COUNTED),
        (_touch("open", is_machine=True), RULES, Outcome.MACHINE_OPEN),
        (_touch("open", is_machine=True), AttributionRules(exclude_machine_opens=False), Outcome.COUNTED),
        (_touch("click", is_machine=True), RULES, Outcome.COUNTED),
        (
            _touch("open", timedelta(days=5)),
            AttributionRules(open_window_days=10, override_window_days=4),
            Outcome.OUTSIDE_WINDOW,
        ),
        (
            _touch("click", timedelta(days=5)),
            AttributionRules(click_window_days=3, override_window_days=5),
            Outcome.COUNTED,
        ),
    ],
)
def test_each_outcome_at_its_edge(touch, rules, outcome):
    assert classify_touch(touch, converted_at=CONVERTED_AT, rules=rules, explicit=False) == outcome


def test_explicit_credit_overrides_every_touch():
    touches = [_touch("click"), _touch("delivered"), _touch("open", -timedelta(days=1))]
    explanation = explain(model="linear", rules=RULES, converted_at=CONVERTED_AT, touches=touches, explicit=True)
    assert [(item.outcome, item.weight) for item in explanation.touches] == [(Outcome.EXPLICIT_OVERRIDE, None)] * 3
    assert explanation.credit == []


def test_last_touch_counts_every_candidate_but_weighs_only_the_last():
    touches = [_touch("click", timedelta(days=2), target="a"), _touch("open", timedelta(days=1), target="b")]
    explanation = explain(model="last_touch", rules=RULES, converted_at=CONVERTED_AT, touches=touches)
    assert [(item.touch.campaign_id, item.outcome, item.weight) for item in explanation.touches] == [
        ("a", Outcome.COUNTED, Decimal("0E-12")),
        ("b", Outcome.COUNTED, Decimal("1.000000000000")),
    ]


kinds = st.sampled_from(["click", "open", "delivered"])
touch_lists = st.lists(
    st.builds(
        Touch,
        id=st.uuids(),
        kind=kinds,
        occurred_at=st.integers(-5 * 86_400, 20 * 86_400).map(
            lambda seconds: CONVERTED_AT - timedelta(seconds=seconds)
        ),
        campaign_id=st.sampled_from(["c1", "c2", "c3"]),
        delivery_id=st.sampled_from([None, "d1"]),
        is_machine=st.booleans(),
    ),
    max_size=10,
)
rule_sets = st.builds(
    AttributionRules,
    click_window_days=windows,
    open_window_days=windows,
    count_opens=st.booleans(),
    exclude_machine_opens=st.booleans(),
    override_window_days=st.none() | windows,
)


@given(st.sampled_from(AttributionModel.values), rule_sets, touch_lists)
def test_explanation_and_credit_are_one_rule(model, rules, touches):
    """The credit ``explain`` returns is ``choose_credit`` over exactly the touches it calls counted, and the
    counted touches' weights sum to 1 (to the target weights)."""
    explanation = explain(model=model, rules=rules, converted_at=CONVERTED_AT, touches=touches)
    candidates = counted_candidates(rules=rules, converted_at=CONVERTED_AT, touches=touches)
    assert explanation.credit == choose_credit(model, candidates)
    counted = [item for item in explanation.touches if item.outcome == Outcome.COUNTED]
    assert len(counted) == len(candidates)
    assert all((item.weight is None) == (item.outcome != Outcome.COUNTED) for item in explanation.touches)
    if counted:
        assert sum(item.weight for item in counted) == 1
    assert [item.touch.occurred_at for item in explanation.touches] == sorted(t.occurred_at for t in touches)
