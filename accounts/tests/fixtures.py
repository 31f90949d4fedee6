"""Admin test fixtures: staff members of organization A (``organization``) and B (``other_organization``), a
superuser, and a logged-in Django test client for each.

Imported by the admin test modules with ``from accounts.tests.admin_fixtures import *``.
"""

import pytest
from django.test import Client

from accounts.services import user_create_staff

__all__ = ["staff_a", "staff_b", "superuser", "admin_a", "admin_b", "admin_root", "management_form"]


@pytest.fixture
def staff_a(organization):
    return user_create_staff(username="staff-a", password="unused-password-a", organization=organization)


@pytest.fixture
def staff_b(other_organization):
    return user_create_staff(username="staff-b", password="unused-password-b", organization=other_organization)


@pytest.fixture
def superuser(db):
    return user_create_staff(username="root", password="unused-password-root", superuser=True)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_a(staff_a):
    """The admin as a staff member of organization A only."""
    return _logged_in(staff_a)


@pytest.fixture
def admin_b(staff_b):
    """The admin as a staff member of organization B only."""
    return _logged_in(staff_b)


@pytest.fixture
def admin_root(superuser):
    return _logged_in(superuser)


def management_form(prefix: str) -> dict:
    """The management form of an (empty, read-only) inline, which every change-form POST carries."""
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "0",
    }
