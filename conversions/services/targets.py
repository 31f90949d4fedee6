"""Writes for campaigns and deliveries, the targets conversions are credited to."""

from django.db import transaction

from accounts.models import Organization
from conversions.models import Attribution, Campaign, Conversion, Delivery
from core.services import lock_for_update, model_update

from .base import clean_and_save
from .conversion import conversions_reference_removed
from .credit import conversions_reattribute

CAMPAIGN_WRITABLE_FIELDS = frozenset({"name", "status", "language", "sent_at"})
DELIVERY_WRITABLE_FIELDS = frozenset({"name", "kind", "campaign", "language"})


@transaction.atomic
def campaign_create(*, organization: Organization, **fields) -> Campaign:
    campaign = Campaign(organization=organization, **fields)
    clean_and_save(campaign)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields) -> Campaign:
    campaign = lock_for_update(campaign)
    model_update(instance=campaign, fields=CAMPAIGN_WRITABLE_FIELDS, data=fields)
    clean_and_save(campaign)
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign; conversions it was credited with are re-attributed among what remains, and those that
    named it explicitly lose it with a history row each."""
    affected = list(Attribution.objects.filter(campaign=campaign).values_list("conversion_id", flat=True))
    conversions_reference_removed(conversions=Conversion.objects.filter(campaign=campaign), field="campaign")
    campaign.delete()
    conversions_reattribute(conversion_ids=affected)


@transaction.atomic
def delivery_create(*, organization: Organization, **fields) -> Delivery:
    delivery = Delivery(organization=organization, **fields)
    clean_and_save(delivery, campaign=delivery.campaign)
    return delivery


@transaction.atomic
def delivery_update(*, delivery: Delivery, **fields) -> Delivery:
    delivery = lock_for_update(delivery)
    campaign_changed = "campaign" in model_update(instance=delivery, fields=DELIVERY_WRITABLE_FIELDS, data=fields)
    clean_and_save(delivery, campaign=delivery.campaign)
    if campaign_changed:
        # Credit to a delivery counts for its campaign: moving the delivery moves that credit.
        affected = Attribution.objects.filter(delivery=delivery).values_list("conversion_id", flat=True)
        conversions_reattribute(conversion_ids=list(affected))
    return delivery


@transaction.atomic
def delivery_delete(*, delivery: Delivery) -> None:
    affected = list(Attribution.objects.filter(delivery=delivery).values_list("conversion_id", flat=True))
    conversions_reference_removed(conversions=Conversion.objects.filter(delivery=delivery), field="delivery")
    delivery.delete()
    conversions_reattribute(conversion_ids=affected)
