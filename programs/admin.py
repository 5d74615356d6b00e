from django.contrib import admin

from portal.admin import AuditedAdmin, ReadOnlyAdmin
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


@admin.register(Program)
class ProgramAdmin(AuditedAdmin):
    """Programs are set up here by the CDMO's administrator; every edit is audited."""

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


@admin.register(ProgramMember)
class ProgramMemberAdmin(AuditedAdmin):
    list_display = ["program", "user", "role", "rank", "started_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["program__code", "user__email"]
    autocomplete_fields = ["user"]


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
