"""Organizations (the tenants), who may act for them, and the API keys they authenticate with."""

import uuid
import zoneinfo

from django.conf import settings
from django.db import models

from core.validators import validate_currency, validate_timezone

ATTRIBUTION_WINDOW_MIN_DAYS = 1
ATTRIBUTION_WINDOW_MAX_DAYS = 90
ATTRIBUTION_WINDOW_DEFAULT_DAYS = 7


class AttributionModel(models.TextChoices):
    LAST_TOUCH = "last_touch", "Last touch"
    FIRST_TOUCH = "first_touch", "First touch"
    LINEAR = "linear", "Linear"
    TIME_DECAY = "time_decay", "Time decay"
    POSITION_BASED = "position_based", "Position based"


class Organization(models.Model):
    """A tenant. Every other row belongs to exactly one organization; the API key decides which.

    Attribution settings: a conversion created without its own ``attribution_window`` counts clicks within
    ``click_window_days`` and opens within ``open_window_days`` (opens only if ``count_opens``; machine opens not
    when ``exclude_machine_opens``). ``default_attribution_window`` is the window such a conversion reports.
    Changing any of them applies to conversions written from then on (docs/attribution.md).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    reference_currency = models.CharField(
        max_length=3, default="EUR", validators=[validate_currency], help_text="ISO 4217 code reports are kept in."
    )
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="IANA name; report days are cut here."
    )
    default_attribution_model = models.CharField(
        max_length=20, choices=AttributionModel.choices, default=AttributionModel.LAST_TOUCH
    )
    default_attribution_window = models.PositiveSmallIntegerField(
        default=ATTRIBUTION_WINDOW_DEFAULT_DAYS, help_text="Days, 1..90."
    )
    # Database defaults too, so rows written by raw SQL or an older migration state get today's behaviour.
    click_window_days = models.PositiveSmallIntegerField(
        default=ATTRIBUTION_WINDOW_DEFAULT_DAYS,
        db_default=ATTRIBUTION_WINDOW_DEFAULT_DAYS,
        help_text="Days, 1..90: how long before a conversion a click counts.",
    )
    open_window_days = models.PositiveSmallIntegerField(
        default=ATTRIBUTION_WINDOW_DEFAULT_DAYS,
        db_default=ATTRIBUTION_WINDOW_DEFAULT_DAYS,
        help_text="Days, 1..90: how long before a conversion an open counts.",
    )
    count_opens = models.BooleanField(
        default=True, db_default=True, help_text="Whether opens earn credit at all (clicks always do)."
    )
    exclude_machine_opens = models.BooleanField(
        default=True,
        db_default=True,
        help_text="Whether opens the sender flagged as machine opens (privacy proxies, bots) are ignored.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    default_attribution_window__gte=ATTRIBUTION_WINDOW_MIN_DAYS,
                    default_attribution_window__lte=ATTRIBUTION_WINDOW_MAX_DAYS,
                ),
                name="organization_attribution_window_range",
                violation_error_message="The attribution window must be between 1 and 90 days.",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    click_window_days__gte=ATTRIBUTION_WINDOW_MIN_DAYS,
                    click_window_days__lte=ATTRIBUTION_WINDOW_MAX_DAYS,
                ),
                name="organization_click_window_range",
                violation_error_message="The click window must be between 1 and 90 days.",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    open_window_days__gte=ATTRIBUTION_WINDOW_MIN_DAYS,
                    open_window_days__lte=ATTRIBUTION_WINDOW_MAX_DAYS,
                ),
                name="organization_open_window_range",
                violation_error_message="The open window must be between 1 and 90 days.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    """A staff user who may see and edit one organization in the admin."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="membership_unique_user_organization",
                violation_error_message="This user is already a member of this organization.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A secret an API consumer sends as ``Authorization: Bearer`` or ``X-Api-Key``.

    Only a SHA-256 digest of the secret is stored: the secret is 256 random bits, so a slow password hash would
    add ~0.2 s to every request without making a brute force any less hopeless. The first characters (the
    prefix) are stored in clear to find the row and to recognise the key in the admin.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    read_only = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class TenantQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)


class TenantModel(models.Model):
    """Base of every row that belongs to one organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
