"""Programs and their people in the admin site: edits go through the programs' services, so
they are audited in the program's chain, told to its stream and bump its version like any
other change. Everything else under a program changes in the portal and is read-only here."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from portal.admin import ADMIN_REASON, AuditedAdmin, ReadOnlyAdmin, acting_admin
from portal.errors import Invalid
from programs.models import (
    Budget,
    ChangeOrder,
    CostLine,
    Event,
    Invoice,
    Milestone,
    Program,
    ProgramMember,
    Workstream,
)
from programs.services.members import (
    ENDED_BEFORE_START,
    check_side,
    program_member_assign,
    program_member_update,
)
from programs.services.program import program_create, program_update


@admin.register(Program)
class ProgramAdmin(AuditedAdmin):
    """Programs are set up here by the CDMO's administrator, through `program_create` and
    `program_update`. The sponsor is fixed once the program exists."""

    list_display = ["code", "name", "sponsor", "phase", "status", "health"]
    list_filter = ["sponsor", "phase", "status", "health"]
    search_fields = ["code", "name", "product"]
    readonly_fields = [
        "health",
        "health_reason",
        "health_rule",
        "health_override",
        "health_override_by",
        "health_override_at",
        "baseline_frozen_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "sponsor"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = acting_admin(request)
        if change:
            values = {name: form.cleaned_data[name] for name in form.changed_data}
            program_update(actor=actor, program=obj, values=values, reason=ADMIN_REASON)
            return
        saved = program_create(actor=actor, reason=ADMIN_REASON, **form.cleaned_data)
        obj.pk = saved.pk


class ProgramMemberForm(forms.ModelForm):
    """The service decides what an assignment does to the tenures already there (a new PM
    ends the previous one's), so the form does not refuse one for the one-PM constraint."""

    class Meta:
        model = ProgramMember
        fields = ["program", "user", "role", "rank", "ended_at"]

    def _get_validation_exclusions(self) -> set[str]:
        """The one-PM and one-role constraints are left to `program_member_assign`, which
        runs under the program's lock: excluding `program` leaves them out of `full_clean`."""
        return {*super()._get_validation_exclusions(), "program"}  # type: ignore[misc]

    def validate_unique(self) -> None:
        """Also left to the service (see above)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ended_at = data.get("ended_at")
        if ended_at is not None and self.instance.pk and ended_at < self.instance.started_at:
            self.add_error("ended_at", ENDED_BEFORE_START)
        program, user, role = data.get("program"), data.get("user"), data.get("role")
        if self.instance.pk is None and program and user and role:
            try:
                check_side(program, user, role)
            except Invalid as exc:
                self.add_error("user", exc.message)
        return data


@admin.register(ProgramMember)
class ProgramMemberAdmin(AuditedAdmin):
    """People are put on a program here too, through the same services as everywhere else:
    a new dedicated PM ends the previous tenure and the stream records the handover. A saved
    tenure changes only its rank or its end, and an ended one stays ended: a different person
    or role, or the same person again, is a new tenure (a PM's is a handover)."""

    form = ProgramMemberForm
    list_display = ["program", "user", "role", "rank", "started_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["program__code", "user__email"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["program", "user", "role", "started_at"]
        return [*fixed, "ended_at"] if obj.ended_at is not None else fixed

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = acting_admin(request)
        if change:
            saved = program_member_update(
                actor=actor,
                member=obj,
                rank=obj.rank,
                ended_at=obj.ended_at,
                reason=ADMIN_REASON,
            )
        else:
            saved = program_member_assign(
                actor=actor,
                program=obj.program,
                user=obj.user,
                role=obj.role,
                rank=obj.rank,
                reason=ADMIN_REASON,
            )
        obj.pk, obj.started_at, obj.ended_at = saved.pk, saved.started_at, saved.ended_at


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "program", "verb", "summary", "audience"]
    list_filter = ["kind", "audience"]
    search_fields = ["summary", "program__code"]


@admin.register(Workstream)
class WorkstreamAdmin(ReadOnlyAdmin):
    list_display = ["program", "name", "kind", "cdmo_owner", "sponsor_owner", "status"]
    search_fields = ["program__code", "name"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["program", "name", "baseline_date", "forecast_date", "actual_date"]
    search_fields = ["program__code", "name"]


@admin.register(ChangeOrder)
class ChangeOrderAdmin(ReadOnlyAdmin):
    list_display = ["program", "reference", "title", "amount", "status", "decided_at"]
    list_filter = ["status"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    list_display = ["program", "contract_value"]


@admin.register(CostLine)
class CostLineAdmin(ReadOnlyAdmin):
    list_display = ["program", "driver", "description", "amount"]
    list_filter = ["driver"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "program", "driver", "amount", "issued_on", "status"]
