"""Fixtures of the conversions tests: one conversion in organization A and one in B, as the admin tests use them."""

import pytest

from conversions.tests.admin_helpers import make_conversion


@pytest.fixture
def conversion_a(organization):
    return make_conversion(organization, order_id="A-1", email="buyer@acme.test", revenue="100.00")


@pytest.fixture
def conversion_b(other_organization):
    return make_conversion(other_organization, order_id="B-1", email="buyer@globex.test", revenue="7.00")
