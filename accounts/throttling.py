"""Rate limiting per API key (DRF throttles); the rate is the ``API_THROTTLE_RATE`` setting."""

from rest_framework.throttling import SimpleRateThrottle

from .authentication import ApiKeyPrincipal


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.user, ApiKeyPrincipal):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.api_key.pk}
