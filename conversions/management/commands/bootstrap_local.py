from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from accounts.models import Organization
from accounts.services import api_key_create, api_keys_revoke_named, organization_create, user_create_staff
from conversions.models import Conversion

# The name of the key each run creates. The next run revokes every active key of the organization with this name,
# so only the key printed last works: a name nobody gives a key of their own by accident.
BOOTSTRAP_KEY_NAME = "make run"


class Command(BaseCommand):
    help = (
        "Prepare a local instance for `make run` (idempotent): a demo organization with demo data, an admin user, "
        f"and a fresh API key named '{BOOTSTRAP_KEY_NAME}' that replaces (revokes) the one of the previous run; "
        "prints where to log in and the key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", default="demo")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="admin")
        parser.add_argument("--conversions", type=int, default=2000, help="Demo conversions on first start.")
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            organization = organization_create(
                slug=options["organization"], name="Demo shop", reference_currency="EUR", timezone_name="Europe/Prague"
            )
        if not Conversion.objects.for_organization(organization).exists():
            call_command("seed_demo", organization=organization.slug, conversions=options["conversions"])
        user_create_staff(
            username=options["username"], password=options["password"], organization=organization, superuser=True
        )
        with transaction.atomic():
            revoked = api_keys_revoke_named(organization=organization, name=BOOTSTRAP_KEY_NAME)
            _, secret = api_key_create(organization=organization, name=BOOTSTRAP_KEY_NAME)
        url = options["url"]
        self.stdout.write("")
        self.stdout.write(
            f"  Admin:      {url}/admin/   user '{options['username']}'  password '{options['password']}'"
        )
        self.stdout.write(f"  Dashboard:  {url}{reverse('admin:reporting_dashboard')}")
        self.stdout.write(f"  API docs:   {url}/api/v1/docs/")
        self.stdout.write(f"  Revoked:    {revoked} older '{BOOTSTRAP_KEY_NAME}' API key{'' if revoked == 1 else 's'}")
        self.stdout.write(f"  API key:    {secret}")
        self.stdout.write(f"  Try:        curl -H 'Authorization: Bearer {secret}' {url}/api/v1/conversions/")
        self.stdout.write("")
