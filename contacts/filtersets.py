import django_filters

from core.filtersets import IsoDateTimeFilter

from .models import Contact


class ContactFilterSet(django_filters.FilterSet):
    email = django_filters.CharFilter(method="filter_email")
    client_contact_id = django_filters.CharFilter()
    country = django_filters.CharFilter(method="filter_upper")
    language = django_filters.CharFilter(method="filter_lower")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Contact
        fields = ["email", "client_contact_id", "country", "language", "created_after", "created_before"]

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=value.strip().lower())

    def filter_upper(self, queryset, name, value):
        return queryset.filter(**{name: value.upper()})

    def filter_lower(self, queryset, name, value):
        return queryset.filter(**{name: value.lower()})
