"""Writes for organizations, memberships and API keys."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.services import lock_for_update, model_update

from .models import ApiKey, Membership, Organization

API_KEY_PREFIX_MARK = "cm_"
API_KEY_PREFIX_RANDOM_CHARS = 8
API_KEY_PREFIX_LENGTH = len(API_KEY_PREFIX_MARK) + API_KEY_PREFIX_RANDOM_CHARS
API_KEY_SECRET_BYTES = 32
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def organization_create(
    *,
    slug: str,
    name: str,
    reference_currency: str = "EUR",
    timezone_name: str = "UTC",
    default_attribution_model: str = "last_touch",
    default_attribution_window: int = 7,
    click_window_days: int | None = None,
    open_window_days: int | None = None,
    count_opens: bool = True,
    exclude_machine_opens: bool = True,
) -> Organization:
    """Create a tenant after full model validation (ISO currency, IANA zone, window range, unique slug).

    The click and open windows default to ``default_attribution_window``: an organization created with a
    default window of N days credits clicks and opens within N days, as it did before windows per kind existed.
    """
    organization = Organization(
        slug=slug,
        name=name,
        reference_currency=reference_currency.upper(),
        timezone=timezone_name,
        default_attribution_model=default_attribution_model,
        default_attribution_window=default_attribution_window,
        click_window_days=default_attribution_window if click_window_days is None else click_window_days,
        open_window_days=default_attribution_window if open_window_days is None else open_window_days,
        count_opens=count_opens,
        exclude_machine_opens=exclude_machine_opens,
    )
    organization.full_clean()
    organization.save()
    return organization


ORGANIZATION_ATTRIBUTION_SETTINGS = frozenset(
    {
        "default_attribution_model", "default_attribution_window", "click_window_days", "open_window_days",
        "count_opens", "exclude_machine_opens",
    }
)  # fmt: skip
ORGANIZATION_UPDATABLE_FIELDS = frozenset({"name"}) | ORGANIZATION_ATTRIBUTION_SETTINGS


@transaction.atomic
def organization_update(*, organization: Organization, **fields) -> Organization:
    """Rename an organization or change its attribution settings (the admin's form, the API's ``PATCH
    /organization/``). They apply to conversions written from now on: nothing stored is re-attributed here (a
    conversion keeps its model; one without its own window is credited with the per-kind windows of the moment its
    credit is computed, see docs/attribution.md).

    The slug, reference currency and time zone are fixed at creation: every stored reference amount and local
    day depends on them.
    """
    organization = lock_for_update(organization)
    model_update(instance=organization, fields=ORGANIZATION_UPDATABLE_FIELDS, data=fields)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Delete a tenant and, with it, every row it owns (superusers only, in the admin)."""
    organization.delete()


@transaction.atomic
def membership_add(*, user, organization: Organization) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, organization=organization)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    membership.delete()


@transaction.atomic
def api_key_create(*, organization: Organization, name: str = "default", read_only: bool = False) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and cannot be shown again."""
    prefix = API_KEY_PREFIX_MARK + secrets.token_hex(API_KEY_PREFIX_RANDOM_CHARS // 2)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = API_KEY_PREFIX_MARK + secrets.token_hex(API_KEY_PREFIX_RANDOM_CHARS // 2)
    secret = f"{prefix}_{secrets.token_urlsafe(API_KEY_SECRET_BYTES)}"
    api_key = ApiKey(
        organization=organization, name=name, prefix=prefix, secret_hash=_hash_secret(secret), read_only=read_only
    )
    api_key.full_clean(validate_unique=False, validate_constraints=False)
    api_key.save()
    return api_key, secret


@transaction.atomic
def api_key_delete(*, api_key: ApiKey) -> None:
    """Delete a key outright (superusers only); members revoke keys instead, which keeps them listed."""
    api_key.delete()


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


@transaction.atomic
def api_keys_revoke_named(*, organization: Organization, name: str) -> int:
    """Revoke every active key of ``organization`` called exactly ``name``; return how many were revoked."""
    api_keys = list(ApiKey.objects.active().filter(organization=organization, name=name).select_for_update())
    for api_key in api_keys:
        api_key_revoke(api_key=api_key)
    return len(api_keys)


def api_key_authenticate(*, secret: str) -> ApiKey | None:
    """Return the active key this secret belongs to, or ``None``. Constant-time comparison of the digests."""
    prefix = secret[:API_KEY_PREFIX_LENGTH]
    if not prefix.startswith(API_KEY_PREFIX_MARK) or secret[API_KEY_PREFIX_LENGTH : API_KEY_PREFIX_LENGTH + 1] != "_":
        return None
    api_key = ApiKey.objects.select_related("organization").filter(prefix=prefix).first()
    if api_key is None or api_key.is_revoked:
        return None
    if not hmac.compare_digest(api_key.secret_hash, _hash_secret(secret)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= API_KEY_LAST_USED_RESOLUTION:
        # One write a minute at most, so a busy key does not turn every read into a write.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def user_create_staff(*, username: str, password: str, organization: Organization | None = None, superuser=False):
    """Create (or update the password of) a staff user, optionally as a member of one organization."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.is_staff = True
    user.is_superuser = superuser
    user.set_password(password)
    user.save()
    if organization is not None:
        membership_add(user=user, organization=organization)
    return user
