"""The events the conversion services record for webhooks, in their own transaction (``webhooks.services``).

The resource is built here, as the API shows it (the app's serializers), and passed down: webhooks sits below
conversions and never imports it. It is built only when some endpoint of the organization subscribes to the
event's type, so a write nobody listens to costs one query.
"""

from webhooks.services import events_record


def _serializer(name: str):
    from conversions.api import serializers  # the API module imports the services: imported when first used

    return getattr(serializers, name)


def conversions_event(*, organization, type: str, conversions) -> None:
    """Record ``type`` (``conversion.created`` / ``.updated`` / ``.deleted``) for each of these conversions."""
    rows = list(conversions)
    if rows:
        events_record(
            organization=organization,
            type=type,
            resources=lambda: [_serializer("ConversionSerializer")(row).data for row in rows],
        )


def touchpoints_event(*, organization, type: str, touchpoints) -> None:
    """Record ``type`` (``touchpoint.created``) for each of these touchpoints."""
    rows = list(touchpoints)
    if rows:
        events_record(
            organization=organization,
            type=type,
            resources=lambda: [_serializer("TouchpointSerializer")(row).data for row in rows],
        )


def refunds_event(*, organization, refunds) -> None:
    """Record ``refund.created`` for each of these ledger entries (refunds and reversals)."""
    rows = list(refunds)
    if rows:
        events_record(
            organization=organization,
            type="refund.created",
            resources=lambda: [_serializer("RefundSerializer")(row).data for row in rows],
        )
