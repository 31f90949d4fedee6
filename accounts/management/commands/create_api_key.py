from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization. The secret is printed alone on the last line, once."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organization's slug.")
        parser.add_argument("--name", default="default", help="A label to recognise the key by.")
        parser.add_argument("--read-only", action="store_true", help="The key may only read.")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug '{options['slug']}'.")
        try:
            api_key, secret = api_key_create(
                organization=organization, name=options["name"], read_only=options["read_only"]
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        access = "read-only" if api_key.read_only else "read-write"
        self.stdout.write(f"Created {access} API key '{api_key.name}' ({api_key.prefix}) for {organization.slug}.")
        self.stdout.write("Store it now; only its hash is kept:")
        self.stdout.write(secret)
