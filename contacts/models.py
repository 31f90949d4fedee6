"""Contacts: the people who convert."""

from django.db import models

from accounts.models import TenantModel
from core.history import audited
from core.validators import validate_country, validate_language

CONTACT_EMAIL_MAX_LENGTH = 254
CONTACT_CLIENT_ID_MAX_LENGTH = 100
CONTACT_NAME_MAX_LENGTH = 100


class Contact(TenantModel):
    """A person, found by e-mail (stored lower-case) or by the client's own id; both unique per organization."""

    email = models.EmailField(max_length=CONTACT_EMAIL_MAX_LENGTH, null=True, blank=True)
    client_contact_id = models.CharField(max_length=CONTACT_CLIENT_ID_MAX_LENGTH, null=True, blank=True)
    first_name = models.CharField(max_length=CONTACT_NAME_MAX_LENGTH, blank=True, default="")
    surname = models.CharField(max_length=CONTACT_NAME_MAX_LENGTH, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="", validators=[validate_country])
    language = models.CharField(max_length=2, blank=True, default="", validators=[validate_language])

    history = audited()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                name="contact_unique_email_per_organization",
                violation_error_message="A contact with this e-mail already exists.",
            ),
            models.UniqueConstraint(
                fields=["organization", "client_contact_id"],
                name="contact_unique_client_id_per_organization",
                violation_error_message="A contact with this client_contact_id already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(email__isnull=True) | models.Q(email=models.functions.Lower("email")),
                name="contact_email_lower_case",
                violation_error_message="E-mail addresses are stored lower-case.",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="contact_org_created")]

    def __str__(self) -> str:
        return self.email or self.client_contact_id or str(self.id)
