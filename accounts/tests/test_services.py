import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import api_key_authenticate, api_key_create, api_key_revoke


@pytest.mark.django_db
def test_only_a_sha256_digest_of_the_secret_is_stored(organization):
    api_key, secret = api_key_create(organization=organization, name="shop")
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert secret.startswith(stored.prefix + "_")
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {value for value in vars(stored).values() if isinstance(value, str)}


@pytest.mark.django_db
def test_authenticate_finds_the_key_and_refuses_a_tampered_secret(organization):
    api_key, secret = api_key_create(organization=organization)
    assert api_key_authenticate(secret=secret) == api_key
    assert api_key_authenticate(secret=secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert api_key_authenticate(secret="cm_00000000_nothing") is None
    assert api_key_authenticate(secret="garbage") is None


@pytest.mark.django_db
def test_last_used_at_is_recorded_at_most_once_a_minute(organization):
    api_key, secret = api_key_create(organization=organization)
    assert api_key.last_used_at is None
    first = api_key_authenticate(secret=secret).last_used_at
    assert first is not None
    assert api_key_authenticate(secret=secret).last_used_at == first
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    assert api_key_authenticate(secret=secret).last_used_at > first


@pytest.mark.django_db
def test_bearer_and_x_api_key_headers_both_authenticate(client, api_key_secret):
    bearer = client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {api_key_secret}")
    header = client.get("/api/v1/contacts/", HTTP_X_API_KEY=api_key_secret)
    assert bearer.status_code == header.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer cm_deadbeef_wrong"},
        {"HTTP_AUTHORIZATION": "Basic abc"},
        {"HTTP_X_API_KEY": "x"},
    ],
)
def test_missing_or_bad_key_is_401_in_the_envelope(client, headers):
    response = client.get("/api/v1/contacts/", **headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


@pytest.mark.django_db
def test_a_revoked_key_is_refused(client, organization):
    api_key, secret = api_key_create(organization=organization)
    assert client.get("/api/v1/contacts/", HTTP_X_API_KEY=secret).status_code == 200
    api_key_revoke(api_key=api_key)
    response = client.get("/api/v1/contacts/", HTTP_X_API_KEY=secret)
    assert response.status_code == 401
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


@pytest.mark.django_db
def test_a_read_only_key_reads_but_may_not_write(read_only_api):
    assert read_only_api.get("/api/v1/contacts/").status_code == 200
    response = read_only_api.post("/api/v1/contacts/", {"email": "a@example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
