from io import StringIO

import pytest
from django.core.management import call_command

from conversions.models import Attribution, Conversion


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_attributes(organization):
    call_command("seed_demo", organization=organization.slug, conversions=40, stdout=StringIO(), stderr=StringIO())
    call_command("seed_demo", organization=organization.slug, conversions=40, stdout=StringIO(), stderr=StringIO())
    conversions = Conversion.objects.for_organization(organization)
    assert conversions.count() == 40
    assert Attribution.objects.filter(conversion__in=conversions).exists()
    assert conversions.filter(reference_revenue__isnull=False).count() == 40
