"""The conversion change form's "Why this credit" timeline: the explain endpoint's answer as staff read it.

The explanation itself is ``conversions.selectors.conversion_explanation`` (the same function that decides the
credit classifies every touch); this module only turns it into words, local times and names.
"""

from django.template.loader import render_to_string

from accounts.models import AttributionModel
from core.admin.display import local_time

from .attribution import Outcome
from .models import Campaign, Conversion, Delivery, Touchpoint
from .selectors import conversion_explanation

OUTCOME_WORDS = {
    Outcome.COUNTED: "Counted",
    Outcome.OUTSIDE_WINDOW: "Left out: before its window",
    Outcome.AFTER_CONVERSION: "Left out: after the conversion",
    Outcome.KIND_NOT_COUNTED: "Left out: a delivery never counts",
    Outcome.OPENS_NOT_COUNTED: "Left out: opens do not count (organization setting)",
    Outcome.MACHINE_OPEN: "Left out: machine open (privacy proxy or bot)",
    Outcome.EXPLICIT_OVERRIDE: "Left out: the conversion names its campaign or delivery",
}
KIND_WORDS = dict(Touchpoint.Kind.choices)


def _names(model, ids) -> dict:
    ids = {pk for pk in ids if pk is not None}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _windows_sentence(rules) -> str:
    if rules.override_window_days is not None:
        return f"this conversion's own window: {rules.override_window_days} days for clicks and opens"
    return f"clicks {rules.click_window_days} days, opens {rules.open_window_days} days (the organization's)"


def _opens_sentence(rules) -> str:
    if not rules.count_opens:
        return "opens do not count"
    return "machine opens do not count" if rules.exclude_machine_opens else "every open counts, machine opens too"


def explanation_timeline(conversion: Conversion) -> str:
    """The timeline as HTML: touches in time order with the conversion's moment among them, each with its outcome."""
    explanation = conversion_explanation(conversion)
    zone = conversion.organization.zone
    touches = [item.touch for item in explanation.touches]
    campaigns = _names(Campaign, [touch.campaign_id for touch in touches])
    deliveries = _names(Delivery, [touch.delivery_id for touch in touches])
    rows, conversion_shown = [], False
    for item in explanation.touches:
        touch = item.touch
        if not conversion_shown and touch.occurred_at > conversion.converted_at:
            rows.append({"conversion": True, "when": local_time(conversion.converted_at, zone, seconds=True)})
            conversion_shown = True
        rows.append(
            {
                "when": local_time(touch.occurred_at, zone, seconds=True),
                "kind": KIND_WORDS.get(touch.kind, touch.kind) + (" (machine)" if touch.is_machine else ""),
                "campaign": campaigns.get(touch.campaign_id, "—"),
                "delivery": deliveries.get(touch.delivery_id, "—"),
                "counted": item.outcome == Outcome.COUNTED,
                "outcome": OUTCOME_WORDS.get(item.outcome, item.outcome),
                "weight": None if item.weight is None else f"{item.weight * 100:.2f} %",
            }
        )
    if not conversion_shown:
        rows.append({"conversion": True, "when": local_time(conversion.converted_at, zone, seconds=True)})
    context = {
        "model": dict(AttributionModel.choices).get(explanation.model, explanation.model),
        "windows": _windows_sentence(explanation.rules),
        "opens": _opens_sentence(explanation.rules),
        "explicit": explanation.explicit,
        "rows": rows,
        "has_touches": bool(touches),
        "has_contact": conversion.contact_id is not None,
    }
    return render_to_string("admin/conversions/conversion/explanation.html", context)
