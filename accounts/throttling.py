"""Rate limiting per API key (a DRF throttle); the rate is the ``API_THROTTLE_RATE`` setting.

The count is kept in the shared cache (``accounts.security.RateWindow``), so every web process enforces the one
limit together: two gunicorn workers let through 30 requests of a 30/minute key, not 60.
"""

from rest_framework.throttling import SimpleRateThrottle

from .authentication import ApiKeyPrincipal
from .security import RateWindow


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.user, ApiKeyPrincipal):
            return None
        return str(request.user.api_key.pk)

    def allow_request(self, request, view) -> bool:
        self._wait = 0.0
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        self._wait = RateWindow(self.scope, self.num_requests, self.duration).admit(ident, self.timer())
        return self._wait == 0

    def wait(self) -> float | None:
        return self._wait or None
