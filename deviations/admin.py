from django.contrib import admin

from deviations.models import (
    CAPA,
    Deviation,
    DeviationYear,
    ExtensionRequest,
    QualityAgreement,
    RootCause,
)
from portal.admin import AuditedAdmin, ReadOnlyAdmin


@admin.register(QualityAgreement)
class QualityAgreementAdmin(AuditedAdmin):
    """Agreed with each sponsor and set up here by the CDMO's administrator; edits audited."""

    list_display = ["sponsor", "program", "critical_notify", "major_notify", "minor_notify"]
    list_filter = ["sponsor"]


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
