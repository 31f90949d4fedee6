from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization
from conversions.models import Attribution, Conversion


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_attributes(organization):
    call_command("seed_demo", organization=organization.slug, conversions=40, stdout=StringIO(), stderr=StringIO())
    call_command("seed_demo", organization=organization.slug, conversions=40, stdout=StringIO(), stderr=StringIO())
    conversions = Conversion.objects.for_organization(organization)
    assert conversions.count() == 40
    assert Attribution.objects.filter(conversion__in=conversions).exists()
    assert conversions.filter(reference_revenue__isnull=False).count() == 40


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["bad slug!", "x" * 51])
def test_seed_demo_for_an_invalid_new_slug_is_a_command_error(slug):
    with pytest.raises(CommandError, match="slug"):
        call_command("seed_demo", organization=slug, conversions=1, stdout=StringIO(), stderr=StringIO())
    assert not Organization.objects.exists()
