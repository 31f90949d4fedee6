"""The filters of Topmail's ``GET conversions``: ``contact_id``, ``campaign_id`` and ``type``, nothing else.

They are our conversion filters under Topmail's names: ids only of the key's organization (another one is a 400),
and ``campaign_id`` matches the conversions credited to the campaign, explicitly or through its touchpoints and
flows, as on /api/v1/.
"""

import django_filters

from contacts.models import Contact
from conversions.filtersets import ConversionFilterSet
from conversions.models import Campaign, Conversion
from core.filtersets import organization_rows


class TopmailConversionFilterSet(django_filters.FilterSet):
    contact_id = django_filters.ModelChoiceFilter(
        field_name="contact", queryset=organization_rows(Contact), help_text="Filter by contact ID."
    )
    campaign_id = django_filters.ModelChoiceFilter(
        queryset=organization_rows(Campaign),
        method="filter_attributed",
        help_text="Filter by campaign ID: the conversions credited to it (explicitly, through one of its flows, "
        "or by attribution).",
    )
    type = django_filters.ChoiceFilter(choices=Conversion.Type.choices, help_text="Filter by conversion type.")

    filter_attributed = ConversionFilterSet.filter_attributed

    class Meta:
        model = Conversion
        fields = ["contact_id", "campaign_id", "type"]
