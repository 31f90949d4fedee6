from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import AttributionModel
from accounts.services import organization_create


class Command(BaseCommand):
    help = "Create an organization (a tenant) with its reference currency, time zone and attribution defaults."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Short unique identifier, e.g. 'acme'.")
        parser.add_argument("--name", required=True, help="Display name.")
        parser.add_argument("--reference-currency", default="EUR", help="ISO 4217 code reports are kept in.")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone that report days are cut in.")
        parser.add_argument("--attribution-model", default=AttributionModel.LAST_TOUCH, choices=AttributionModel.values)
        parser.add_argument("--attribution-window", type=int, default=7, help="Days, 1..90.")

    def handle(self, *args, **options):
        try:
            organization = organization_create(
                slug=options["slug"],
                name=options["name"],
                reference_currency=options["reference_currency"],
                timezone_name=options["timezone"],
                default_attribution_model=options["attribution_model"],
                default_attribution_window=options["attribution_window"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        self.stdout.write(f"Created organization {organization.slug} ({organization.id}).")
