"""manage.py db_roles: set up the runtime database role after migrating (see `portal.db_roles`)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portal.db_roles import RoleError, grant_runtime_role, runtime_role_problems
from portal.env import env_str


class Command(BaseCommand):
    help = (
        "As the owner role, after `migrate`: create (if missing) the runtime role the portal "
        "runs as and give it exactly its privileges: SELECT and INSERT on the audit trail and "
        "the signatures, ordinary DML elsewhere, no TRUNCATE, no DDL. Idempotent. The password "
        "comes from DATABASE_RUNTIME_PASSWORD (needed to create the role, optional after). "
        "With --check, change nothing and report what the role may do beyond that."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--runtime-role",
            default=env_str("DATABASE_RUNTIME_ROLE", ""),
            help="The runtime role (default: DATABASE_RUNTIME_ROLE; with --check, the role this "
            "process connects as).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Report what the role may do beyond the runtime role's privileges; exit "
            "non-zero if anything.",
        )

    def handle(self, *args: object, **options: object) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "db_roles is for PostgreSQL: the embedded SQLite database has no roles."
            )
        role = str(options["runtime_role"] or "")
        try:
            if options["check"]:
                self._check(role or self._current_user())
                return
            if not role:
                raise CommandError(
                    "Name the runtime role: --runtime-role or DATABASE_RUNTIME_ROLE."
                )
            for line in grant_runtime_role(role, password=env_str("DATABASE_RUNTIME_PASSWORD", "")):
                self.stdout.write(line)
        except RoleError as exc:
            raise CommandError(str(exc)) from None

    def _current_user(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return str(cursor.fetchone()[0])

    def _check(self, role: str) -> None:
        problems = runtime_role_problems(role)
        if problems:
            raise CommandError(
                f"{role} may do more than the portal's runtime role:\n" + "\n".join(problems)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{role} may only append to the audit trail and the signatures: no UPDATE, "
                "DELETE or TRUNCATE there, no TRUNCATE or DDL anywhere."
            )
        )
