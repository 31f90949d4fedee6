"""Everflow's API-key header, ``X-Eflow-Api-Key: <key>``, on the same keys as ``/api/v1/``.

The key is looked up, and failed attempts counted per client address, exactly as for ``Authorization: Bearer``
(``accounts.authentication``): the same keys, the same revocation, the same ``429`` after too many failures.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions

from accounts.authentication import ApiKeyAuthentication, ApiKeyPrincipal, auth_failure_window
from accounts.security import client_ip
from accounts.services import api_key_authenticate

EVERFLOW_KEY_HEADER = "X-Eflow-Api-Key"
EVERFLOW_KEY_META = "HTTP_X_EFLOW_API_KEY"


class EverflowApiKeyAuthentication(ApiKeyAuthentication):
    """``X-Eflow-Api-Key``, asked after the canonical headers (a request without them reaches it)."""

    def authenticate(self, request):
        if EVERFLOW_KEY_META not in request.META:
            return None  # no key header at all: the permission check answers 401
        secret = request.META[EVERFLOW_KEY_META].strip()
        if not secret:
            # The header is there but carries no key: a wrong key (nothing was guessed, so it is not counted).
            raise exceptions.AuthenticationFailed(f"The {EVERFLOW_KEY_HEADER} header is empty.")
        address, failures = client_ip(request), auth_failure_window()
        wait = failures.wait(address)
        if wait:
            raise exceptions.Throttled(wait, "Too many failed authentication attempts from this address.")
        api_key = api_key_authenticate(secret=secret)
        if api_key is None:
            failures.hit(address)
            raise exceptions.AuthenticationFailed("The API key is invalid or has been revoked.")
        request._request.api_key = api_key  # the audit history reads the key from the plain Django request
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request) -> str:
        return f'{EVERFLOW_KEY_HEADER} realm="everflow"'


class EverflowApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "compat.everflow.authentication.EverflowApiKeyAuthentication"
    name = "EverflowApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": EVERFLOW_KEY_HEADER,
            "description": f"`{EVERFLOW_KEY_HEADER}: <API key>`: the same keys as `/api/v1/`.",
        }
