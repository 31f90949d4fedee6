"""The API key services: only a digest is stored, authentication, last use.

Over HTTP (Bearer and X-Api-Key headers, bad, revoked and read-only keys on every resource): the shared API
contract, core/tests/api_contract.py."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import api_key_authenticate, api_key_create


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
