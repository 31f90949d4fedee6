"""Writes for campaigns, deliveries, touchpoints, conversions, attribution and exchange rates.

The one path for business rules: the API, the batch endpoint, the admin, the CSV import, the management
commands and the Celery tasks all call these functions, so validation, deduplication, attribution, reference
amounts and report invalidation cannot differ between them. One module per concern; callers import from here.
"""

from .conversion import (
    BATCH_MAX_ITEMS,
    CONVERSION_WRITABLE_FIELDS,
    BatchOutcome,
    batch_summary,
    conversion_create,
    conversion_delete,
    conversion_update,
    conversions_contact_removed,
    conversions_create_batch,
    conversions_reference_removed,
    conversions_set_status,
)
from .credit import (
    conversion_attribute,
    conversion_credit_rows,
    conversions_candidates,
    conversions_reattribute,
    conversions_reattribute_contact_window,
    conversions_reattribute_enqueue,
    conversions_reattribute_requested,
    touchpoints_reach_days_mark,
)
from .derived import conversions_derived_check
from .exchange_rates import (
    conversions_revalue,
    conversions_revalue_chunk,
    conversions_revalue_in_chunks,
    exchange_rate_delete,
    exchange_rate_set,
    exchange_rate_update,
    exchange_rates_import,
)
from .reattribution import (
    REATTRIBUTION_JOB_MAX_DAYS,
    conversion_apply_organization_defaults,
    organization_attribution_defaults,
    reattribution_job_create,
    reattribution_job_resume,
    reattribution_job_run,
    reattribution_range_validate,
)
from .refunds import (
    REFUND_FUTURE_TOLERANCE_MINUTES,
    conversion_refund_remaining,
    conversion_refunds_recount,
    default_amount_without_tax,
    refund_create,
    refund_record,
    refund_remaining,
)
from .targets import (
    campaign_create,
    campaign_delete,
    campaign_update,
    delivery_create,
    delivery_delete,
    delivery_update,
)
from .touchpoints import (
    touchpoint_create,
    touchpoint_create_or_replay,
    touchpoint_delete,
    touchpoint_update,
    touchpoints_bulk_create,
)

__all__ = [
    "BATCH_MAX_ITEMS",
    "CONVERSION_WRITABLE_FIELDS",
    "BatchOutcome",
    "batch_summary",
    "campaign_create",
    "campaign_delete",
    "campaign_update",
    "conversion_attribute",
    "conversion_create",
    "conversion_credit_rows",
    "conversion_delete",
    "conversion_update",
    "conversions_contact_removed",
    "conversions_derived_check",
    "conversions_reference_removed",
    "conversions_create_batch",
    "conversions_reattribute",
    "conversions_reattribute_contact_window",
    "conversions_reattribute_enqueue",
    "conversions_reattribute_requested",
    "conversions_candidates",
    "touchpoints_reach_days_mark",
    "conversions_set_status",
    "conversions_revalue",
    "conversions_revalue_chunk",
    "conversions_revalue_in_chunks",
    "REATTRIBUTION_JOB_MAX_DAYS",
    "conversion_apply_organization_defaults",
    "organization_attribution_defaults",
    "reattribution_job_create",
    "reattribution_job_resume",
    "reattribution_job_run",
    "reattribution_range_validate",
    "REFUND_FUTURE_TOLERANCE_MINUTES",
    "conversion_refund_remaining",
    "conversion_refunds_recount",
    "default_amount_without_tax",
    "refund_create",
    "refund_record",
    "refund_remaining",
    "delivery_create",
    "delivery_delete",
    "delivery_update",
    "exchange_rate_delete",
    "exchange_rate_set",
    "exchange_rate_update",
    "exchange_rates_import",
    "touchpoint_create",
    "touchpoint_create_or_replay",
    "touchpoint_delete",
    "touchpoint_update",
    "touchpoints_bulk_create",
]
