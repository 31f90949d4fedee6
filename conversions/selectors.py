"""Reads of conversions' apps that more than one interface needs."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import models

from .attribution import AttributionRules, Explanation, Touch, explain
from .models import Conversion, Touchpoint


def rows_by_pk(queryset: models.QuerySet, values: Iterable) -> dict:
    """The rows of ``queryset`` whose primary key is one of ``values``, by key, in one query.

    Values that are not UUIDs are skipped (whoever reads the map reports them as invalid on their own).
    """
    keys = set()
    for value in values:
        try:
            keys.add(uuid.UUID(value))
        except (TypeError, ValueError, AttributeError):
            continue
    return {row.pk: row for row in queryset.filter(pk__in=keys)} if keys else {}


EXPLAIN_AFTER_CONVERSION_DAYS = 90  # the explanation also lists the touches this long after the conversion


def touches_by_contact(contact_ids: Iterable, start: datetime, end: datetime, *, kinds: Iterable | None = None) -> dict:
    """The touchpoints of these contacts in ``[start, end]`` as ``attribution.Touch``, by contact id, in one query.

    A touch credits its own campaign, else its delivery's campaign. ``kinds`` narrows the kinds read (the credit
    reads opens and clicks only; the explanation reads every kind, to say why a delivery did not count).
    """
    rows = Touchpoint.objects.filter(contact_id__in=contact_ids, occurred_at__gte=start, occurred_at__lte=end)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    by_contact: dict = {}
    for pk, contact_id, kind, occurred_at, campaign_id, delivery_id, delivery_campaign_id, is_machine in (
        rows.order_by().values_list(
            "pk",
            "contact_id",
            "kind",
            "occurred_at",
            "campaign_id",
            "delivery_id",
            "delivery__campaign_id",
            "is_machine",
        )  # fmt: skip
    ):
        by_contact.setdefault(contact_id, []).append(
            Touch(pk, kind, occurred_at, campaign_id or delivery_campaign_id, delivery_id, is_machine)
        )
    return by_contact


def conversion_explanation(conversion: Conversion) -> Explanation:
    """Why a conversion has the credit it has: every touchpoint of its contact from the longest window that
    applies before it to 90 days after it, classified by the same function that decides the credit."""
    rules = AttributionRules.for_conversion(conversion)
    explicit = conversion.campaign_id is not None or conversion.delivery_id is not None
    touches: list[Touch] = []
    if conversion.contact_id is not None:
        start = conversion.converted_at - timedelta(days=rules.longest_window_days)
        end = conversion.converted_at + timedelta(days=EXPLAIN_AFTER_CONVERSION_DAYS)
        touches = touches_by_contact([conversion.contact_id], start, end).get(conversion.contact_id, [])
    return explain(
        model=conversion.attribution_model,
        rules=rules,
        converted_at=conversion.converted_at,
        touches=touches,
        explicit=explicit,
    )


def reattribution_conversions(*, organization, date_from: date, date_to: date) -> models.QuerySet:
    """The conversions a re-attribution job for these local days (inclusive, like the reports) processes: those
    without explicit credit (an explicit campaign or delivery keeps its credit whatever the defaults say)."""
    return Conversion.objects.for_organization(organization).filter(
        converted_date__gte=date_from, converted_date__lte=date_to, campaign__isnull=True, delivery__isnull=True
    )
