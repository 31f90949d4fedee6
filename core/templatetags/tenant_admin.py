"""Admin template tags for huge tables.

``bounded_date_hierarchy`` is Django's date hierarchy without its ``SELECT DISTINCT <truncated date>`` over the
whole list (a full scan on every page of a big table): the years, months or days offered are those between the
first and the last row of the current selection (one ``MIN``/``MAX``, served by the time indexes). A period in
between without rows may be offered; choosing it shows an empty list.
"""

from datetime import date, datetime, timedelta

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.db.models import Max, Min
from django.utils import timezone

register = template.Library()


def _periods(first: date, last: date, kind: str) -> list[date]:
    if kind == "year":
        return [date(year, 1, 1) for year in range(first.year, last.year + 1)]
    if kind == "month":
        months, current = [], date(first.year, first.month, 1)
        while current <= last:
            months.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return months
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


class _BoundedQuerySet:
    """What the date-hierarchy tag needs from ``cl.queryset``: ``aggregate`` as is, periods from MIN/MAX."""

    def __init__(self, queryset):
        self._queryset = queryset

    def aggregate(self, *args, **kwargs):
        return self._queryset.aggregate(*args, **kwargs)

    def datetimes(self, field_name, kind):
        bounds = self._queryset.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = (
            (timezone.localtime(value) if timezone.is_aware(value) else value).date()
            if isinstance(value, datetime)
            else value
            for value in (bounds["first"], bounds["last"])
        )
        return _periods(first, last, kind)

    dates = datetimes


class _BoundedChangeList:
    def __init__(self, changelist):
        self._changelist = changelist
        self.queryset = _BoundedQuerySet(changelist.queryset)

    def __getattr__(self, name):
        return getattr(self._changelist, name)


def bounded_date_hierarchy(cl):
    return date_hierarchy(_BoundedChangeList(cl))


@register.tag(name="bounded_date_hierarchy")
def bounded_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=bounded_date_hierarchy, template_name="date_hierarchy.html", takes_context=False
    )
