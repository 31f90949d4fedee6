"""Writes for campaigns and deliveries, the targets conversions are credited to."""

from django.db import IntegrityError, transaction

from accounts.models import Organization
from conversions.models import Attribution, Campaign, Conversion, Delivery, Touchpoint
from core.exceptions import ConflictError
from core.services import lock_for_update, model_update

from .base import check_same_organization
from .conversion import conversions_reference_removed
from .credit import conversions_reattribute, touchpoints_reach_days_mark

CAMPAIGN_WRITABLE_FIELDS = frozenset({"name", "status", "language", "sent_at", "external_id"})
DELIVERY_WRITABLE_FIELDS = frozenset({"name", "kind", "campaign", "language", "external_id"})


def _external_id_taken(target: Campaign | Delivery) -> None:
    """A campaign's or delivery's ``external_id`` is unique per organization when set: another row of the same
    organization holding it is a ``ConflictError`` naming that row (HTTP 409 with ``existing_id``), as a
    conversion whose ``order_id`` is taken by another one."""
    if target.external_id is None:
        return
    model = type(target)
    other = (
        model.objects.for_organization(target.organization)
        .filter(external_id=target.external_id)
        .exclude(pk=target.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if other is not None:
        raise ConflictError(
            f"A {model._meta.verbose_name} with external_id '{target.external_id}' already exists.", existing_id=other
        )


def _target_save(target: Campaign | Delivery, **related) -> None:
    """Validate and save a campaign or delivery: ``external_id`` is trimmed, an empty one means "not set" (null),
    and a taken one is a conflict, also when a concurrent writer takes it between the check and the INSERT."""
    target.external_id = (target.external_id or "").strip() or None
    check_same_organization(target.organization, **related)
    target.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    _external_id_taken(target)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        _external_id_taken(target)
        raise


@transaction.atomic
def campaign_create(*, organization: Organization, **fields) -> Campaign:
    campaign = Campaign(organization=organization, **fields)
    _target_save(campaign)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields) -> Campaign:
    campaign = lock_for_update(campaign)
    model_update(instance=campaign, fields=CAMPAIGN_WRITABLE_FIELDS, data=fields)
    _target_save(campaign)
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign; conversions it was credited with are re-attributed among what remains, and those that
    named it explicitly lose it with a history row each."""
    affected = list(Attribution.objects.filter(campaign=campaign).values_list("conversion_id", flat=True))
    touchpoints_reach_days_mark(
        organization=campaign.organization, touchpoints=Touchpoint.objects.filter(campaign=campaign)
    )
    conversions_reference_removed(conversions=Conversion.objects.filter(campaign=campaign), field="campaign")
    campaign.delete()
    conversions_reattribute(conversion_ids=affected)


@transaction.atomic
def delivery_create(*, organization: Organization, **fields) -> Delivery:
    delivery = Delivery(organization=organization, **fields)
    _target_save(delivery, campaign=delivery.campaign)
    return delivery


@transaction.atomic
def delivery_update(*, delivery: Delivery, **fields) -> Delivery:
    delivery = lock_for_update(delivery)
    campaign_changed = "campaign" in model_update(instance=delivery, fields=DELIVERY_WRITABLE_FIELDS, data=fields)
    _target_save(delivery, campaign=delivery.campaign)
    if campaign_changed:
        # Credit to a delivery counts for its campaign: moving the delivery moves that credit.
        affected = Attribution.objects.filter(delivery=delivery).values_list("conversion_id", flat=True)
        touchpoints_reach_days_mark(
            organization=delivery.organization, touchpoints=Touchpoint.objects.filter(delivery=delivery)
        )
        conversions_reattribute(conversion_ids=list(affected))
    return delivery


@transaction.atomic
def delivery_delete(*, delivery: Delivery) -> None:
    affected = list(Attribution.objects.filter(delivery=delivery).values_list("conversion_id", flat=True))
    touchpoints_reach_days_mark(
        organization=delivery.organization, touchpoints=Touchpoint.objects.filter(delivery=delivery)
    )
    conversions_reference_removed(conversions=Conversion.objects.filter(delivery=delivery), field="delivery")
    delivery.delete()
    conversions_reattribute(conversion_ids=affected)
