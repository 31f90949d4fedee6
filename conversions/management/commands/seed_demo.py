import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Organization
from accounts.services import organization_create
from contacts.models import Contact
from contacts.services import contacts_bulk_create
from conversions.models import Campaign, Conversion, Delivery, Touchpoint
from conversions.services import (
    BATCH_MAX_ITEMS,
    campaign_create,
    conversions_create_batch,
    delivery_create,
    exchange_rates_import,
    touchpoints_bulk_create,
)
from core.progress import Progress

DEMO_CURRENCIES = {"CZK": Decimal("25.2"), "USD": Decimal("1.08"), "PLN": Decimal("4.32"), "HUF": Decimal("392")}
DEMO_COUNTRIES = {"CZK": "CZ", "EUR": "SK", "USD": "US", "PLN": "PL", "HUF": "HU"}
DEMO_DAYS = 180


class Command(BaseCommand):
    help = (
        "Load realistic demo data into an organization: exchange rates, campaigns, deliveries, contacts, "
        "touchpoints and conversions, all through the services' bulk paths (so attribution, history and reports "
        "are right), a chunk of 1000 at a time, with progress on a terminal or in a log. "
        "Idempotent per order id: running it again adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", default="demo", help="Slug; created if missing.")
        parser.add_argument("--conversions", type=int, default=2000, help="How many conversions (default 2000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for reproducible data.")

    def handle(self, *args, **options):
        if options["conversions"] < 0:
            raise CommandError("--conversions must be ≥ 0.")
        rng = random.Random(options["seed"])
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            try:
                organization = organization_create(
                    slug=options["organization"], name=options["organization"].title(), timezone_name="Europe/Prague"
                )
            except ValidationError as error:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        today = timezone.localdate(timezone=organization.zone)
        self._rates(today, rng)
        campaigns, deliveries = self._campaigns(organization, today)
        contacts = self._contacts(organization, rng, max(10, options["conversions"] // 4))
        self._conversions(organization, rng, options["conversions"], contacts, deliveries)
        self.stdout.write(
            f"Demo data in '{organization.slug}': {len(campaigns)} campaigns, {len(deliveries)} deliveries, "
            f"{len(contacts)} contacts, {Conversion.objects.for_organization(organization).count()} conversions."
        )

    def _rates(self, today: date, rng: random.Random) -> None:
        rows = []
        for offset in range(DEMO_DAYS + 7, -1, -1):
            day = today - timedelta(days=offset)
            if day.weekday() >= 5:
                continue  # the ECB publishes no rates at weekends
            for currency, base in DEMO_CURRENCIES.items():
                rows.append((day, currency, (base * Decimal(1 + rng.uniform(-0.02, 0.02))).quantize(Decimal("0.0001"))))
        exchange_rates_import(rows=rows)

    def _campaigns(self, organization, today):
        campaigns = list(Campaign.objects.for_organization(organization))
        if not campaigns:
            for index, name in enumerate(["Spring sale", "Summer sale", "Black Friday", "Newsletter", "Win-back"]):
                campaigns.append(
                    campaign_create(
                        organization=organization,
                        name=name,
                        status=Campaign.Status.SENT,
                        language="en",
                        sent_at=timezone.now() - timedelta(days=30 * (5 - index)),
                    )
                )
        deliveries = list(Delivery.objects.for_organization(organization))
        if not deliveries:
            for campaign in campaigns:
                deliveries.append(
                    delivery_create(
                        organization=organization, name=f"{campaign.name} send", campaign=campaign, kind="campaign"
                    )
                )
            for name in ["Welcome flow", "Abandoned cart", "Post-purchase"]:
                deliveries.append(delivery_create(organization=organization, name=name, kind="smartflow"))
        return campaigns, deliveries

    def _contacts(self, organization, rng, how_many):
        """The demo contacts ``customer0..N@example.com``: the missing ones are created in bulk, one chunk at a time.

        Every contact's values are drawn from ``rng`` whether or not it exists, so the data does not depend on
        what an earlier (perhaps interrupted) run stored."""
        first_names = ["Jana", "Petr", "Eva", "Tomáš", "Lucie", "John", "Anna", "Marek", "Zoltán", "Ola"]
        surnames = ["Nováková", "Svoboda", "Smith", "Kowalska", "Horváth", "Dvořák", "Novak", "Brown"]
        planned = []
        for index in range(how_many):
            currency = rng.choice(list(DEMO_COUNTRIES))
            planned.append(
                {
                    "email": f"customer{index}@example.com",
                    "client_contact_id": str(100000 + index),
                    "first_name": rng.choice(first_names),
                    "surname": rng.choice(surnames),
                    "country": DEMO_COUNTRIES[currency],
                    "language": "cs",
                }
            )
        contacts_by_email = {}
        with Progress(total=how_many, desc="contacts", unit="contact", stream=self.stderr) as progress:
            for chunk in _chunks(planned):
                stored = Contact.objects.for_organization(organization).filter(
                    email__in=[fields["email"] for fields in chunk]
                )
                contacts_by_email.update((contact.email, contact) for contact in stored)
                missing = [fields for fields in chunk if fields["email"] not in contacts_by_email]
                if missing:
                    created = contacts_bulk_create(organization=organization, contacts=missing)
                    contacts_by_email.update((contact.email, contact) for contact in created)
                progress.update(len(chunk))
        return [contacts_by_email[fields["email"]] for fields in planned]

    def _conversions(self, organization, rng, how_many, contacts, deliveries):
        """Touchpoints first, then conversions, each through its bulk service one chunk at a time, so conversions
        are attributed as they are created. The plan is drawn whole from ``rng`` first; what is already stored
        (by order id, and by the touchpoint's external id) is skipped, so a rerun adds only what is missing."""
        now = timezone.now()
        drawn = []
        for _ in range(how_many):
            contact = rng.choice(contacts)
            age = timedelta(days=rng.uniform(0, DEMO_DAYS), hours=rng.uniform(0, 3))
            touch = None
            if rng.random() < 0.6:
                touch = {
                    "contact": contact,
                    "delivery": rng.choice(deliveries),
                    "kind": rng.choice(["open", "click"]),
                    "before": timedelta(hours=rng.uniform(1, 120)),
                }
            currency = next(code for code, country in DEMO_COUNTRIES.items() if country == contact.country)
            revenue = Decimal(rng.lognormvariate(4, 0.8)).quantize(Decimal("0.01"))
            if currency in DEMO_CURRENCIES:
                revenue = (revenue * DEMO_CURRENCIES[currency]).quantize(Decimal("0.01"))
            conversion = {
                "contact": contact,
                "type": rng.choice(["purchase"] * 6 + ["signup", "upgrade"]),
                "status": rng.choice(["approved"] * 8 + ["pending", "refunded"]),
                "count": 1 if rng.random() < 0.9 else rng.randint(2, 5),
                "revenue": revenue,
                "revenue_without_tax": (revenue / Decimal("1.21")).quantize(Decimal("0.01")),
                "currency": currency,
                "origin": rng.choice(["website", "website", "app"]),
            }
            drawn.append((age, conversion, touch))
        # Order ids in time order, as a shop gives them. A chunk then spans about a day, so the batch service
        # looks up a handful of exchange rates and marks a day or two per chunk, not hundreds.
        drawn.sort(key=lambda entry: entry[0], reverse=True)
        plan = []
        for index, (age, conversion, touch) in enumerate(drawn):
            conversion["order_id"] = f"DEMO-{index:07d}"
            conversion["converted_at"] = now - age
            if touch is not None:
                touch["occurred_at"] = conversion["converted_at"] - touch.pop("before")
                touch["external_id"] = f"{conversion['order_id']}-touch"
            plan.append((conversion, touch))
        stored_conversions = Conversion.objects.for_organization(organization)
        stored_touchpoints = Touchpoint.objects.for_organization(organization)
        with Progress(total=how_many, desc="touchpoints", unit="conv", stream=self.stderr) as progress:
            for chunk in _chunks(plan):
                order_ids = [conversion["order_id"] for conversion, _ in chunk]
                stored = set(stored_conversions.filter(order_id__in=order_ids).values_list("order_id", flat=True))
                touches = [touch for conversion, touch in chunk if touch and conversion["order_id"] not in stored]
                known = set(
                    stored_touchpoints.filter(external_id__in=[touch["external_id"] for touch in touches]).values_list(
                        "external_id", flat=True
                    )
                )
                touches = [touch for touch in touches if touch["external_id"] not in known]
                if touches:
                    touchpoints_bulk_create(organization=organization, touchpoints=touches)
                progress.update(len(chunk))
        with Progress(total=how_many, desc="conversions", unit="conv", stream=self.stderr) as progress:
            for chunk in _chunks(plan):
                order_ids = [conversion["order_id"] for conversion, _ in chunk]
                stored = set(stored_conversions.filter(order_id__in=order_ids).values_list("order_id", flat=True))
                items = [conversion for conversion, _ in chunk if conversion["order_id"] not in stored]
                if items:
                    outcomes = conversions_create_batch(organization=organization, items=items)
                    errors = [
                        (item, outcome.error) for item, outcome in zip(items, outcomes, strict=True) if outcome.error
                    ]
                    if errors:
                        item, error = errors[0]
                        raise CommandError(f"{len(errors)} conversions refused, e.g. {item['order_id']}: {error}")
                progress.update(len(chunk))


def _chunks(values: list, size: int = BATCH_MAX_ITEMS):
    for start in range(0, len(values), size):
        yield values[start : start + size]
