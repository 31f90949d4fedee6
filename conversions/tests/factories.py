import factory
from django.utils import timezone

from conversions.models import Campaign, Delivery, Touchpoint


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    status = Campaign.Status.SENT


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    name = factory.Sequence(lambda n: f"Delivery {n}")
    kind = Delivery.Kind.SMARTFLOW


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    kind = Touchpoint.Kind.CLICK
    occurred_at = factory.LazyFunction(timezone.now)
