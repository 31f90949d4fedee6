"""DRF authentication by API key: ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``."""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiKey, Organization
from .services import api_key_authenticate


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
        secret = self._secret(request)
        if secret is None:
            return None
        api_key = api_key_authenticate(secret=secret)
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is invalid or has been revoked.")
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
