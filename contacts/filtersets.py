"""The contacts' FilterSet, reused by the API, exports and tests."""

import django_filters

from core.filtersets import LowerCaseFilter, TenantFilterSet, UpperCaseFilter

from .models import Contact


class ContactFilterSet(TenantFilterSet):
    email = LowerCaseFilter()
    client_contact_id = django_filters.CharFilter()
    country = UpperCaseFilter()
    language = LowerCaseFilter()

    class Meta:
        model = Contact
        fields = ["email", "client_contact_id", "country", "language"]
