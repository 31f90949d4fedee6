"""bootstrap_local, the first step of `make run`: every run prints a fresh API key and revokes the one(s) it
printed before, and no other key of the organization."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import ApiKey, Organization
from accounts.services import api_key_authenticate, api_key_create, organization_create
from conversions.management.commands.bootstrap_local import BOOTSTRAP_KEY_NAME


def bootstrap() -> tuple[str, str]:
    """Run the command as `make run` does (with few demo conversions); return its output and the printed secret."""
    out = StringIO()
    call_command("bootstrap_local", conversions=5, stdout=out, stderr=StringIO())
    output = out.getvalue()
    match = re.search(r"^  API key:\s+(\S+)$", output, re.MULTILINE)
    assert match, output
    return output, match.group(1)


def revoked_line(output: str) -> str:
    return next(line.strip() for line in output.splitlines() if line.strip().startswith("Revoked:"))


@pytest.mark.django_db
def test_each_run_revokes_the_key_of_the_previous_run_and_only_that():
    first_output, first_secret = bootstrap()
    organization = Organization.objects.get(slug="demo")
    assert revoked_line(first_output) == f"Revoked:    0 older '{BOOTSTRAP_KEY_NAME}' API keys"
    _, own_secret = api_key_create(organization=organization, name="checkout")

    second_output, second_secret = bootstrap()

    assert second_secret != first_secret
    assert revoked_line(second_output) == f"Revoked:    1 older '{BOOTSTRAP_KEY_NAME}' API key"
    assert api_key_authenticate(secret=first_secret) is None
    printed = api_key_authenticate(secret=second_secret)
    assert printed is not None
    assert (printed.organization, printed.name) == (organization, BOOTSTRAP_KEY_NAME)
    assert f"Bearer {second_secret}" in second_output
    assert ApiKey.objects.active().filter(organization=organization, name=BOOTSTRAP_KEY_NAME).count() == 1
    assert ApiKey.objects.filter(organization=organization, name=BOOTSTRAP_KEY_NAME).count() == 2  # kept, revoked
    own = api_key_authenticate(secret=own_secret)
    assert own is not None and own.name == "checkout"


@pytest.mark.django_db
def test_a_run_revokes_every_active_key_of_that_name_in_its_organization_only(organization):
    # Keys left by runs before revocation existed, and a key of the same name in another organization.
    demo = organization_create(slug="demo", name="Demo shop")
    leftovers = [api_key_create(organization=demo, name=BOOTSTRAP_KEY_NAME)[1] for _ in range(3)]
    _, elsewhere = api_key_create(organization=organization, name=BOOTSTRAP_KEY_NAME)

    output, secret = bootstrap()

    assert revoked_line(output) == f"Revoked:    3 older '{BOOTSTRAP_KEY_NAME}' API keys"
    assert all(api_key_authenticate(secret=leftover) is None for leftover in leftovers)
    assert api_key_authenticate(secret=secret) is not None
    assert api_key_authenticate(secret=elsewhere) is not None
