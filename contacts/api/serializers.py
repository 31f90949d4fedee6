from rest_framework import serializers

from core.api.fields import CountryField, LanguageField
from core.api.viewsets import TenantModelSerializer

from ..models import Contact


class ContactSerializer(TenantModelSerializer):
    email = serializers.EmailField(max_length=254, required=False, allow_null=True, allow_blank=True)
    country = CountryField(required=False)
    language = LanguageField(required=False)

    class Meta:
        model = Contact
        fields = [
            "id", "email", "client_contact_id", "first_name", "surname", "country", "language",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"client_contact_id": {"validators": []}}
