"""CSV columns of conversions, refunds, campaigns and deliveries: the API's field names, written through the services.

Conversions: deduplication is the API's: a row whose ``order_id`` already exists creates nothing, and is skipped
when it repeats the stored conversion or refused (a row error) when it differs from it.

Campaigns and deliveries: a row whose ``external_id`` (the id the customer's other systems use) already exists
updates that campaign or delivery; any other row creates one.
"""

from django.core.exceptions import ValidationError
from import_export import fields, widgets
from import_export.results import RowResult

from contacts.models import Contact
from core.import_export import IsoDateTimeWidget, JsonObjectWidget, ServiceResource, TenantForeignKeyWidget

from .models import Campaign, Conversion, Delivery, Refund
from .services import (
    campaign_create,
    campaign_update,
    conversion_create,
    delivery_create,
    delivery_update,
    refund_create,
)


def _column(name, attribute=None, widget=None, readonly=False):
    return fields.Field(
        attribute=attribute or name, column_name=name, widget=widget or widgets.Widget(), readonly=readonly
    )


class ConversionResource(ServiceResource):
    id = _column("id", readonly=True)
    order_id = _column("order_id")
    converted_at = _column("converted_at", widget=IsoDateTimeWidget())
    email = _column("email", attribute="contact__email")
    contact_id = _column("contact_id", widget=TenantForeignKeyWidget(Contact))
    type = _column("type")
    status = _column("status")
    count = _column("count", widget=widgets.IntegerWidget())
    revenue = _column("revenue")
    revenue_without_tax = _column("revenue_without_tax")
    payout = _column("payout")
    currency = _column("currency")
    campaign_id = _column("campaign_id", widget=TenantForeignKeyWidget(Campaign))
    delivery_id = _column("delivery_id", widget=TenantForeignKeyWidget(Delivery))
    attribution_model = _column("attribution_model")
    attribution_window = _column("attribution_window", widget=widgets.IntegerWidget())
    origin = _column("origin")
    country = _column("country")
    coupon_code = _column("coupon_code")
    notes = _column("notes")
    metadata = _column("metadata", widget=JsonObjectWidget())
    reference_currency = _column("reference_currency", readonly=True)
    reference_revenue = _column("reference_revenue", readonly=True)
    reference_revenue_without_tax = _column("reference_revenue_without_tax", readonly=True)
    created_at = _column("created_at", widget=IsoDateTimeWidget(), readonly=True)

    service_columns = (
        "order_id", "converted_at", "email", "contact_id", "type", "status", "count", "revenue",
        "revenue_without_tax", "payout", "currency", "campaign_id", "delivery_id", "attribution_model",
        "attribution_window", "origin", "country", "coupon_code", "notes", "metadata",
    )  # fmt: skip

    class Meta:
        model = Conversion
        name = "Conversions (CSV columns = API fields)"
        fields = (
            "id", "order_id", "converted_at", "email", "contact_id", "type", "status", "count", "revenue",
            "revenue_without_tax", "payout", "currency", "campaign_id", "delivery_id", "attribution_model",
            "attribution_window", "origin", "country", "coupon_code", "notes", "metadata", "reference_currency",
            "reference_revenue", "reference_revenue_without_tax", "created_at",
        )  # fmt: skip
        skip_html_diff = False

    def find_existing(self, row):
        order_id = str(row.get("order_id") or "").strip()
        if not order_id:
            return None
        return Conversion.objects.for_organization(self.organization).filter(order_id=order_id).first()

    def write_row(self, instance, is_create, values):
        conversion, created = conversion_create(organization=self.organization, **values)
        return conversion, RowResult.IMPORT_TYPE_NEW if created else RowResult.IMPORT_TYPE_SKIP

    def conflict_column(self):
        return "order_id"


class _ByExternalIdResource(ServiceResource):
    """A row naming a stored ``external_id`` updates that row; any other row is created."""

    def find_existing(self, row):
        external_id = str(row.get("external_id") or "").strip()
        if not external_id:
            return None
        return self._meta.model.objects.for_organization(self.organization).filter(external_id=external_id).first()


class CampaignResource(_ByExternalIdResource):
    id = _column("id", readonly=True)
    external_id = _column("external_id")
    name = _column("name")
    status = _column("status")
    language = _column("language")
    sent_at = _column("sent_at", widget=IsoDateTimeWidget())
    created_at = _column("created_at", widget=IsoDateTimeWidget(), readonly=True)

    service_columns = ("external_id", "name", "status", "language", "sent_at")

    class Meta:
        model = Campaign
        name = "Campaigns (CSV columns = API fields)"
        fields = ("id", "external_id", "name", "status", "language", "sent_at", "created_at")

    def write_row(self, instance, is_create, values):
        if is_create:
            return campaign_create(organization=self.organization, **values), RowResult.IMPORT_TYPE_NEW
        return campaign_update(campaign=instance, **values), RowResult.IMPORT_TYPE_UPDATE


class DeliveryResource(_ByExternalIdResource):
    id = _column("id", readonly=True)
    external_id = _column("external_id")
    name = _column("name")
    kind = _column("kind")
    campaign_id = _column("campaign_id", widget=TenantForeignKeyWidget(Campaign))
    language = _column("language")
    created_at = _column("created_at", widget=IsoDateTimeWidget(), readonly=True)

    service_columns = ("external_id", "name", "kind", "campaign_id", "language")

    class Meta:
        model = Delivery
        name = "Deliveries (CSV columns = API fields)"
        fields = ("id", "external_id", "name", "kind", "campaign_id", "language", "created_at")

    def write_row(self, instance, is_create, values):
        if is_create:
            return delivery_create(organization=self.organization, **values), RowResult.IMPORT_TYPE_NEW
        return delivery_update(delivery=instance, **values), RowResult.IMPORT_TYPE_UPDATE


class RefundResource(ServiceResource):
    """Refunds by CSV: each row names its conversion by ``order_id`` or ``conversion_id`` (the other may be empty;
    both given must agree) and is recorded through ``refund_create``, with the API's limits and deduplication:
    a repeated ``external_ref`` with the same values is skipped, with other values it is a row error."""

    id = _column("id", readonly=True)
    order_id = _column("order_id", attribute="conversion__order_id")
    conversion_id = _column("conversion_id", widget=TenantForeignKeyWidget(Conversion))
    amount = _column("amount")
    amount_without_tax = _column("amount_without_tax")
    reason = _column("reason")
    note = _column("note")
    external_ref = _column("external_ref")
    refunded_at = _column("refunded_at", widget=IsoDateTimeWidget())
    currency = _column("currency", attribute="conversion__currency", readonly=True)
    created_at = _column("created_at", widget=IsoDateTimeWidget(), readonly=True)

    service_columns = (
        "order_id", "conversion_id", "amount", "amount_without_tax", "reason", "note", "external_ref", "refunded_at",
    )  # fmt: skip

    class Meta:
        model = Refund
        name = "Refunds (order_id or conversion_id, amount, reason, external_ref, …)"
        fields = (
            "id", "order_id", "conversion_id", "amount", "amount_without_tax", "reason", "note", "external_ref",
            "refunded_at", "currency", "created_at",
        )  # fmt: skip
        skip_html_diff = False

    def find_existing(self, row):
        external_ref = str(row.get("external_ref") or "").strip()
        if not external_ref:
            return None
        return Refund.objects.for_organization(self.organization).filter(external_ref=external_ref).first()

    def _conversion(self, values: dict) -> Conversion:
        order_id = values.pop("order_id", None)
        conversion = values.pop("conversion", None)
        if order_id is not None:
            by_order = Conversion.objects.for_organization(self.organization).filter(order_id=str(order_id).strip())
            found = by_order.first()
            if found is None:
                raise ValidationError({"order_id": ["No conversion has this order_id."]})
            if conversion is not None and conversion.pk != found.pk:
                raise ValidationError({"conversion_id": ["Not the conversion of this order_id."]})
            return found
        if conversion is None:
            raise ValidationError({"order_id": ["Give the conversion's order_id or conversion_id."]})
        return conversion

    def write_row(self, instance, is_create, values):
        values = dict(values)
        conversion = self._conversion(values)
        refund, created = refund_create(organization=self.organization, conversion=conversion, **values)
        return refund, RowResult.IMPORT_TYPE_NEW if created else RowResult.IMPORT_TYPE_SKIP

    def conflict_column(self):
        return "external_ref"
