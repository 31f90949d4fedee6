"""Contract audit of the accounts commands: a bad argument is a CommandError (a message and exit code 1), never a
traceback, and leaves nothing half-made behind."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey
from accounts.services import api_key_authenticate


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


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/api/v1/conversions/", "/reporting/v1/conversions"])
def test_more_query_parameters_than_django_accepts_is_a_400_envelope(api, organization, path):
    query = "&".join(f"p{index}=1" for index in range(1100))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000

    response = api.get(f"{path}?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["type"] == "validation_error"
