"""Deviations in the admin site: quality agreements are set up here (audited); deviations and
everything under them change only through their services and are read-only here."""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from deviations.models import (
    CAPA,
    Deviation,
    DeviationYear,
    ExtensionRequest,
    QualityAgreement,
    RootCause,
)
from portal.admin import ADMIN_REASON, AuditedAdmin, ReadOnlyAdmin, acting_admin
from programs import changes


@admin.register(QualityAgreement)
class QualityAgreementAdmin(AuditedAdmin):
    """Agreed with each sponsor and set up here by the CDMO's administrator. A program's own
    agreement changes through the change primitive (the program's chain, version and health
    re-evaluation: its deadlines may move); a sponsor's default is audited in the global chain.
    Whose agreement it is (sponsor, program) is fixed once saved."""

    list_display = ["sponsor", "program", "critical_notify", "major_notify", "minor_notify"]
    list_filter = ["sponsor"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "sponsor", "program"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.program_id is None:
            super().save_model(request, obj, form, change)
            return
        actor = acting_admin(request)
        with transaction.atomic():
            program = changes.lock_program(obj.program_id)
            if not change:
                changes.create(obj, actor=actor, program=program, reason=ADMIN_REASON)
                return
            stored = QualityAgreement.objects.select_for_update().get(pk=obj.pk)
            values = {name: form.cleaned_data[name] for name in form.changed_data}
            changes.update(stored, actor=actor, program=program, values=values, reason=ADMIN_REASON)


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyAdmin):
    """Deviations change only through their services (lifecycle, signatures, audit)."""

    list_display = ["reference", "program", "classification", "status", "aware_at"]
    list_filter = ["classification", "status"]
    search_fields = ["reference", "title", "program__code"]


@admin.register(RootCause)
class RootCauseAdmin(ReadOnlyAdmin):
    list_display = ["deviation", "category"]


@admin.register(CAPA)
class CAPAAdmin(ReadOnlyAdmin):
    list_display = ["deviation", "kind", "owner", "due_date", "status"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["deviation", "new_due", "status", "requested_by", "decided_by"]


@admin.register(DeviationYear)
class DeviationYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "last_number"]
