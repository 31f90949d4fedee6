import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Organization
from accounts.services import organization_create
from contacts.models import Contact
from contacts.services import contact_create
from conversions.models import Campaign, Conversion, Delivery
from conversions.services import (
    campaign_create,
    conversion_create,
    delivery_create,
    exchange_rates_import,
    touchpoints_bulk_create,
)

DEMO_CURRENCIES = {"CZK": Decimal("25.2"), "USD": Decimal("1.08"), "PLN": Decimal("4.32"), "HUF": Decimal("392")}
DEMO_COUNTRIES = {"CZK": "CZ", "EUR": "SK", "USD": "US", "PLN": "PL", "HUF": "HU"}
DEMO_DAYS = 180


class Command(BaseCommand):
    help = (
        "Load realistic demo data into an organization: exchange rates, campaigns, deliveries, contacts, "
        "touchpoints and conversions, all through the services (so attribution and reports are right). "
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
        self._conversions(organization, rng, today, options["conversions"], contacts, deliveries)
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
        contacts = list(Contact.objects.for_organization(organization)[:how_many])
        first_names = ["Jana", "Petr", "Eva", "Tomáš", "Lucie", "John", "Anna", "Marek", "Zoltán", "Ola"]
        surnames = ["Nováková", "Svoboda", "Smith", "Kowalska", "Horváth", "Dvořák", "Novak", "Brown"]
        for index in range(len(contacts), how_many):
            currency = rng.choice(list(DEMO_COUNTRIES))
            contacts.append(
                contact_create(
                    organization=organization,
                    email=f"customer{index}@example.com",
                    client_contact_id=str(100000 + index),
                    first_name=rng.choice(first_names),
                    surname=rng.choice(surnames),
                    country=DEMO_COUNTRIES[currency],
                    language="cs",
                )
            )
        return contacts

    def _conversions(self, organization, rng, today, how_many, contacts, deliveries):
        now = timezone.now()
        plan = []
        for _ in range(how_many):
            contact = rng.choice(contacts)
            converted_at = now - timedelta(days=rng.uniform(0, DEMO_DAYS), hours=rng.uniform(0, 3))
            plan.append((contact, converted_at))
        # Touchpoints first, in one bulk load, so conversions are attributed as they are created.
        touchpoints_bulk_create(
            organization=organization,
            touchpoints=[
                {
                    "contact": contact,
                    "delivery": rng.choice(deliveries),
                    "kind": rng.choice(["open", "click"]),
                    "occurred_at": converted_at - timedelta(hours=rng.uniform(1, 120)),
                }
                for contact, converted_at in plan
                if rng.random() < 0.6
            ],
        )
        for index in tqdm(range(how_many), desc="conversions", unit="conv", disable=None, file=self.stderr):
            order_id = f"DEMO-{index:07d}"
            if Conversion.objects.for_organization(organization).filter(order_id=order_id).exists():
                continue
            contact, converted_at = plan[index]
            currency = next(code for code, country in DEMO_COUNTRIES.items() if country == contact.country)
            revenue = Decimal(rng.lognormvariate(4, 0.8)).quantize(Decimal("0.01"))
            if currency in DEMO_CURRENCIES:
                revenue = (revenue * DEMO_CURRENCIES[currency]).quantize(Decimal("0.01"))
            conversion_create(
                organization=organization,
                contact=contact,
                order_id=order_id,
                type=rng.choice(["purchase"] * 6 + ["signup", "upgrade"]),
                status=rng.choice(["approved"] * 8 + ["pending", "refunded"]),
                count=1 if rng.random() < 0.9 else rng.randint(2, 5),
                revenue=revenue,
                revenue_without_tax=(revenue / Decimal("1.21")).quantize(Decimal("0.01")),
                currency=currency,
                origin=rng.choice(["website", "website", "app"]),
                converted_at=converted_at,
            )
