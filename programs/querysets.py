"""Tenant scoping: the only doors to user-facing program data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from portal.models import Membership, User


def _membership(user: User) -> Membership | None:
    if not user.is_authenticated:
        return None
    return getattr(user, "membership", None)


class ProgramQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ProgramQuerySet:
        """CDMO members see every program; a sponsor's users see their sponsor's programs."""
        membership = _membership(user)
        if membership is None:
            return self.none()
        if membership.is_cdmo:
            return self
        return self.filter(sponsor_id=membership.organisation_id)


class AudienceQuerySet(models.QuerySet):
    """Rows that belong to a program and carry an audience (sponsor or internal)."""

    program_path = "program"

    def visible_to(self, user: User) -> AudienceQuerySet:
        membership = _membership(user)
        if membership is None:
            return self.none()
        if membership.is_cdmo:
            return self
        return self.filter(
            **{
                f"{self.program_path}__sponsor_id": membership.organisation_id,
                "audience": "sponsor",
            }
        )


class ProgramScopedQuerySet(models.QuerySet):
    """Rows that belong to a program and are seen by whoever sees the program."""

    def visible_to(self, user: User) -> ProgramScopedQuerySet:
        membership = _membership(user)
        if membership is None:
            return self.none()
        if membership.is_cdmo:
            return self
        return self.filter(program__sponsor_id=membership.organisation_id)
