"""Errors the service layer raises besides Django's ``ValidationError``; the API maps each to its envelope."""


class ConflictError(Exception):
    """A write collides with an existing row that it must not silently replace (HTTP 409)."""

    def __init__(self, message: str, *, existing_id=None):
        super().__init__(message)
        self.message = message
        self.existing_id = existing_id
