"""manage.py create_api_token EMAIL [--name NAME]: an operator issues a key for a REST client.

The key goes to stdout alone, so a script can capture it; everything else goes to stderr.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import services
from portal.errors import ServiceError
from portal.models import User

DEFAULT_NAME = "Created on the command line"


class Command(BaseCommand):
    help = "Create an API token for the user with this email and print its key (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The user's sign-in email address.")
        parser.add_argument(
            "--name", default=DEFAULT_NAME, help="What the token is for, e.g. 'LIMS sync'."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        if not user.is_active:
            raise CommandError(f"{email} is deactivated; a token for them would never work.")
        try:
            token, key = services.api_token_create(actor=None, user=user, name=options["name"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:  # the token's own validation: a name with a line break
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token “{token.name}” created for {user.email}. The key below is shown once; "
            "store it now."
        )
        self.stdout.write(key)
