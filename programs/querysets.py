"""Tenant scoping for program data: each queryset names its path to the sponsor, and
`portal.access.scope` (the one rule) does the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models

from portal import access

if TYPE_CHECKING:
    from portal.models import User


class ProgramQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> Any:
        """CDMO members see every program; a sponsor's users see their sponsor's programs."""
        return access.scope(self, user, sponsor_path="sponsor_id", program_path="id")


class ProgramScopedQuerySet(models.QuerySet):
    """Rows that belong to a program and are seen by whoever sees the program."""

    sponsor_path: ClassVar[str] = "program__sponsor_id"
    audience_field: ClassVar[str | None] = None

    def visible_to(self, user: User) -> Any:
        return access.scope(
            self, user, sponsor_path=self.sponsor_path, audience_field=self.audience_field
        )


class AudienceQuerySet(ProgramScopedQuerySet):
    """Rows that belong to a program and carry an audience (sponsor or internal)."""

    audience_field = "audience"
