"""The authentication backend that enforces the admin's login lockout (django-axes)."""

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' standalone backend, first in ``AUTHENTICATION_BACKENDS``: a locked-out username and address
    are refused before any password is checked.

    A login with a request (the admin's login form, every login a client can reach) is checked as usual.
    ``authenticate()`` without a request is code calling itself (``Client.login`` in tests, a shell): there is no
    client address to lock out, so it is passed on to the next backend instead of raising, as django-axes does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
