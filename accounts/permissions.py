"""Who may do what over the API."""

from rest_framework import permissions

from .authentication import ApiKeyPrincipal


class HasOrganizationApiKey(permissions.BasePermission):
    """A valid key for reads; a read-write key for writes."""

    message = "This API key is read-only."

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, ApiKeyPrincipal):
            return False
        return request.method in permissions.SAFE_METHODS or not principal.read_only


class ReadOnlyForApiKeys(permissions.BasePermission):
    """Shared reference data (exchange rates): any key may read, only staff (in the admin) may write."""

    message = "Only staff may change exchange rates (use the admin)."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiKeyPrincipal) and request.method in permissions.SAFE_METHODS
