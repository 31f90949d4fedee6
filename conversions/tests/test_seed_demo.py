from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization
from contacts.models import Contact
from conversions.models import Attribution, Conversion, RollupMark, Touchpoint


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


@pytest.mark.django_db
def test_seed_demo_reports_progress_off_a_terminal_and_creates_history_and_credit(organization):
    stderr = StringIO()  # not a terminal: tqdm would stay silent, so the command prints plain lines
    call_command("seed_demo", organization=organization.slug, conversions=2500, stdout=StringIO(), stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert "conversions: 1000/2500 conv (40%)" in "\n".join(lines)
    assert any(line.startswith("conversions: 2500/2500 conv (100%)") for line in lines)
    assert any(line.startswith("contacts: 625/625 contact (100%)") for line in lines)
    conversions = Conversion.objects.for_organization(organization)
    assert conversions.count() == 2500
    assert Conversion.history.filter(organization=organization, history_type="+").count() == 2500
    assert Contact.history.filter(organization=organization, history_type="+").count() == 625
    credited = Attribution.objects.filter(conversion__in=conversions).values("conversion").distinct().count()
    assert credited > 1000  # about 60% have a touch before them; the batch service credits it
    assert RollupMark.objects.filter(organization=organization).exists()
    touches = Touchpoint.objects.for_organization(organization).count()
    call_command("seed_demo", organization=organization.slug, conversions=2500, stdout=StringIO(), stderr=StringIO())
    assert conversions.count() == 2500
    assert Touchpoint.objects.for_organization(organization).count() == touches
    assert Contact.objects.for_organization(organization).count() == 625
