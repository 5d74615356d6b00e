"""Tenant scoping for program data: each queryset names its path to the sponsor, and
`portal.access.scope` (the one rule) does the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.models import BooleanField, Case, Count, F, Q, Value, When

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


class BatchQuerySet(ProgramScopedQuerySet):
    def with_outcome(self) -> Any:
        """Annotate what a batch's outcome is, derived and never typed in:

        - `deviation_count`: deviations linked to it, cancelled ones aside;
        - `right_first_time`: released, never reworked, and no such deviation;
        - `on_time`: decided on or before the planned release day (None while undecided);
        - `in_full`: at least the committed quantity delivered (None before any delivery).
        """
        counted = ~Q(deviations__status="cancelled") & Q(deviations__isnull=False)
        return self.annotate(
            deviation_count=Count("deviations", filter=counted, distinct=True),
        ).annotate(
            right_first_time=Case(
                When(
                    Q(disposition="released", reworked=False, deviation_count=0), then=Value(True)
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            on_time=Case(
                When(actual_release__isnull=True, then=Value(None)),
                When(actual_release__lte=F("planned_release"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(null=True),
            ),
            in_full=Case(
                When(quantity_delivered__isnull=True, then=Value(None)),
                When(quantity_delivered__gte=F("quantity_committed"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(null=True),
            ),
        )
