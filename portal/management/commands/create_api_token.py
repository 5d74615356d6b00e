"""manage.py create_api_token EMAIL [--name NAME] [--expires-on YYYY-MM-DD] [--read-only]
[--program CODE ...]: an operator issues a key for a REST client.

Without options, as before: read and write, every program the user sees, expiring 90 days from
today (a token lasts at most a year).

The key goes to stdout alone, so a script can capture it; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal import services
from portal.errors import ServiceError
from portal.models import ApiToken, User


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: write YYYY-MM-DD.") from None


DEFAULT_NAME = "Created on the command line"


class Command(BaseCommand):
    help = "Create an API token for the user with this email and print its key (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The user's sign-in email address.")
        parser.add_argument(
            "--name", default=DEFAULT_NAME, help="What the token is for, e.g. 'LIMS sync'."
        )
        parser.add_argument(
            "--expires-on",
            type=_day,
            default=None,
            help="The last day the token works, YYYY-MM-DD (site time). Default: 90 days from "
            "today; at most a year.",
        )
        parser.add_argument(
            "--read-only",
            action="store_true",
            help="GET requests only: any change through the API is refused (403).",
        )
        parser.add_argument(
            "--program",
            action="append",
            default=[],
            metavar="CODE",
            help="Restrict the token to this program (repeat for several); each must be one "
            "the user sees.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        if not user.is_active:
            raise CommandError(f"{email} is deactivated; a token for them would never work.")
        programs = []
        for code in options["program"]:
            program = services.token_programs(user).filter(code__iexact=code.strip()).first()
            if program is None:
                raise CommandError(f"{email} sees no program with the code {code!r}.")
            programs.append(program)
        scope = ApiToken.Scope.READ if options["read_only"] else ApiToken.Scope.READ_WRITE
        try:
            token, key = services.api_token_create(
                actor=None,
                user=user,
                name=options["name"],
                expires_on=options["expires_on"],
                scope=scope,
                programs=programs,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:  # the token's own validation: a name with a line break
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token “{token.name}” created for {user.email} ({token.get_scope_display().lower()}, "
            f"expires {timezone.localtime(token.expires_at):%d %B %Y %H:%M %Z}). The key below "
            "is shown once; store it now."
        )
        self.stdout.write(key)
