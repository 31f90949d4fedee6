"""Factories of the conversions models. Conversions go through ``conversion_create`` so that, like every real write,
they are attributed, valued and mark their day dirty."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from conversions.models import Campaign, Conversion, Delivery, ExchangeRate, Touchpoint
from conversions.services import conversion_create


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


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ("currency", "date")

    currency = "CZK"
    date = factory.LazyFunction(lambda: timezone.now().date() - timedelta(days=400))
    rate = Decimal("25")


class ConversionFactory(factory.django.DjangoModelFactory):
    """``ConversionFactory(organization=org, revenue="10.00", ...)`` calls the service with these fields."""

    class Meta:
        model = Conversion

    revenue = Decimal("100.00")
    converted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @classmethod
    def _create(cls, model_class, *args, organization, **fields):
        conversion, _ = conversion_create(organization=organization, **fields)
        return conversion
