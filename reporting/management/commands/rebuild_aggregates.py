from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import Organization
from reporting.services import rollup_repair, rollup_repair_span


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not '{value}'.") from error


class Command(BaseCommand):
    help = (
        "Recompute the reporting rollups from the raw conversions and attribution rows, day by day, and rebuild "
        "every day whose buckets differ (each repair is logged). Safe to run at any time, also while the API "
        "and the workers are running: reports are exact whatever the state of the rollups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", metavar="SLUG", help="Only this organization (default: all).")
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", help="First local day to check (default: the first day with data)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Rebuild every day without comparing (e.g. after a bulk load)."
        )

    def handle(self, *args, **options):
        since = _iso_date(options["since"]) if options["since"] else None
        organizations = Organization.objects.order_by("slug")
        if options["organization"]:
            organizations = organizations.filter(slug=options["organization"])
            if not organizations.exists():
                raise CommandError(f"There is no organization with the slug '{options['organization']}'.")
        spans = {
            organization: rollup_repair_span(organization=organization, since=since) for organization in organizations
        }
        total_days = sum((span[1] - span[0]).days + 1 for span in spans.values() if span)
        repaired = []
        with tqdm(total=total_days, desc="rollup days", unit="day", disable=None, file=self.stderr) as bar:
            for organization, span in spans.items():
                if span is None:
                    continue
                repaired += rollup_repair(
                    organization_id=organization.pk,
                    since=span[0],
                    until=span[1],
                    force=options["force"],
                    progress=bar.update,
                )
        verb = "Rebuilt" if options["force"] else "Repaired"
        self.stdout.write(f"{verb} {len(repaired)} day(s) over {total_days} checked in {len(spans)} organization(s).")
