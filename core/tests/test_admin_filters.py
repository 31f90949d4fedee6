"""The admin's list helpers (core/admin/filters.py) on their own; in a changelist: conversions/tests/test_admin.py."""

from core.admin.filters import CappedCountPaginator


def test_capped_paginator_counts_up_to_its_cap_and_no_further():
    class Small(CappedCountPaginator):
        count_cap = 5

    just_inside = Small(list(range(5)), 2)
    assert just_inside.count == 5 and not just_inside.count_is_capped
    just_outside = Small(list(range(6)), 2)
    assert just_outside.count == 5 and just_outside.count_is_capped
