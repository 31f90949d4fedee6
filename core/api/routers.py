"""The router of /api/v1/: every route answers with and without its trailing slash."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """``/api/v1/conversions/`` and ``/api/v1/conversions`` are the same route (no redirect, which would lose a
    POST body). DRF's own ``trailing_slash`` only takes a boolean, so the pattern is set here."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
