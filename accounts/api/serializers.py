"""The organization of the API key on the wire: its name and attribution settings."""

from rest_framework import serializers

from core.api.viewsets import StrictSerializerMixin

from ..models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, Organization


def window_days(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=ATTRIBUTION_WINDOW_MIN_DAYS,
        max_value=ATTRIBUTION_WINDOW_MAX_DAYS,
        required=False,
        help_text=help_text,
    )


class OrganizationSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    default_attribution_window = window_days(
        "Days, 1..90: the attribution_window a conversion created without one reports. Its credit uses the click "
        "and open windows; a conversion given its own attribution_window uses that for both."
    )
    click_window_days = window_days("Days, 1..90: clicks up to this long before a conversion earn credit.")
    open_window_days = window_days("Days, 1..90: opens up to this long before a conversion earn credit.")

    class Meta:
        model = Organization
        fields = [
            "id", "slug", "name", "reference_currency", "timezone", "default_attribution_model",
            "default_attribution_window", "click_window_days", "open_window_days", "count_opens",
            "exclude_machine_opens", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "slug", "reference_currency", "timezone", "created_at", "updated_at"]
        extra_kwargs = {"name": {"required": False}}
