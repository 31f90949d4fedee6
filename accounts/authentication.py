"""DRF authentication by API key: ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``.

Failed attempts are counted per client address in the shared cache: beyond ``API_AUTH_FAILURE_RATE`` every
request from that address that carries a key is a ``429 rate_limited`` with ``Retry-After``, right or wrong key,
until the count falls below the rate again.
"""

from dataclasses import dataclass

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiKey, Organization
from .security import RateWindow, client_ip
from .services import api_key_authenticate


def auth_failure_window() -> RateWindow:
    return RateWindow.from_rate("api_auth_failures", settings.API_AUTH_FAILURE_RATE)


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """What ``request.user`` is for an API call: the key's organization and whether it may write."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    @property
    def organization(self) -> Organization:
        return self.api_key.organization

    @property
    def read_only(self) -> bool:
        return self.api_key.read_only

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def _secret(self, request) -> str | None:
        header = authentication.get_authorization_header(request).decode("latin-1").strip()
        if header:
            keyword, _, secret = header.partition(" ")
            if keyword.lower() != self.keyword.lower() or not secret.strip():
                raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <API key>'.")
            return secret.strip()
        secret = request.META.get("HTTP_X_API_KEY", "").strip()
        return secret or None

    def authenticate(self, request):
        if (
            not authentication.get_authorization_header(request).strip()
            and not request.META.get("HTTP_X_API_KEY", "").strip()
        ):
            return None  # no key at all: the permission check answers 401, and nothing was guessed
        address, failures = client_ip(request), auth_failure_window()
        wait = failures.wait(address)
        if wait:
            raise exceptions.Throttled(wait, "Too many failed authentication attempts from this address.")
        try:
            secret = self._secret(request)
            api_key = api_key_authenticate(secret=secret) if secret else None
            if api_key is None:
                raise exceptions.AuthenticationFailed("The API key is invalid or has been revoked.")
        except exceptions.AuthenticationFailed:
            failures.hit(address)
            raise
        # The audit history reads the key from the plain Django request.
        request._request.api_key = api_key
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = ["BearerApiKey", "HeaderApiKey"]

    def get_security_requirement(self, auto_schema):
        # Either header works: a list of requirements is an OR.
        return [{"BearerApiKey": []}, {"HeaderApiKey": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <API key>`"},
            {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "`X-Api-Key: <API key>`"},
        ]
