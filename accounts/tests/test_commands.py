"""The accounts commands: create_organization and create_api_key; a bad argument is a CommandError (a message
and exit code 1), never a traceback, and leaves nothing half-made behind."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey, Organization
from accounts.services import api_key_authenticate


@pytest.mark.django_db
def test_create_organization_with_options():
    out = StringIO()
    call_command(
        "create_organization", "shop", name="Shop", reference_currency="czk", timezone="Europe/Prague", stdout=out
    )
    organization = Organization.objects.get(slug="shop")
    assert (organization.name, organization.reference_currency, organization.timezone) == (
        "Shop",
        "CZK",
        "Europe/Prague",
    )
    assert "shop" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [{"reference_currency": "XYZ"}, {"timezone": "Mars/Olympus"}, {"attribution_window": 91}],
)
def test_create_organization_refuses_bad_values(options):
    with pytest.raises(CommandError):
        call_command("create_organization", "shop", name="Shop", **options)
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_create_api_key_prints_the_secret_alone_on_the_last_line(organization):
    out = StringIO()
    call_command("create_api_key", organization.slug, name="checkout", read_only=True, stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    api_key = api_key_authenticate(secret=secret)
    assert api_key is not None and api_key.read_only and api_key.name == "checkout"
    assert ApiKey.objects.filter(secret_hash=secret).count() == 0


@pytest.mark.django_db
def test_create_api_key_for_an_unknown_organization_fails():
    with pytest.raises(CommandError):
        call_command("create_api_key", "nope")


@pytest.mark.django_db
def test_create_api_key_with_a_name_longer_than_the_column_is_a_command_error(organization):
    with pytest.raises(CommandError, match="name"):
        call_command("create_api_key", organization.slug, name="n" * 101, stdout=StringIO())
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_create_api_key_with_a_name_just_inside_the_column(organization):
    out = StringIO()
    call_command("create_api_key", organization.slug, name="n" * 100, stdout=out)
    assert api_key_authenticate(secret=out.getvalue().strip().splitlines()[-1]).name == "n" * 100
