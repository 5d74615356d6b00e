"""Deviations in the admin site: quality agreements are set up here (audited); deviations and
everything under them change only through their services and are read-only here."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from deviations.models import (
    CAPA,
    Deviation,
    DeviationYear,
    ExtensionRequest,
    QualityAgreement,
    RootCause,
)
from deviations.services.agreements import BEFORE_CURRENT, WINDOWS, agreement_version_add
from portal.admin import ADMIN_REASON, AuditedAdmin, ReadOnlyAdmin, acting_admin


class QualityAgreementForm(forms.ModelForm):
    """The version number is the service's to give, so uniqueness is left to it; a moment not
    after the current version's is refused here, next to the field."""

    class Meta:
        model = QualityAgreement
        fields = ["sponsor", "program", "effective_from", "reason", *WINDOWS]

    def validate_unique(self) -> None:
        """Left to `agreement_version_add`, which numbers the version."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sponsor = data.get("sponsor") or getattr(self.instance, "sponsor", None)
        program = data.get("program", self.instance.program if self.instance.pk else None)
        if self.instance.pk and "effective_from" not in self.changed_data:
            data["effective_from"] = timezone.now()  # a change left as it was: from now on
        moment = data.get("effective_from")
        if sponsor is not None and moment is not None:
            latest = (
                QualityAgreement.objects.filter(sponsor=sponsor, program=program)
                .order_by("-version")
                .first()
            )
            if latest is not None and moment <= latest.effective_from:
                message = BEFORE_CURRENT.format(
                    version=latest.version, moment=latest.effective_from
                )
                self.add_error("effective_from", message)
        return data


@admin.register(QualityAgreement)
class QualityAgreementAdmin(AuditedAdmin):
    """Agreed with each sponsor; kept in the portal (onboarding) and here alike through
    `agreement_version_add`: saving, whether a new agreement or a change to one, records the
    next version (effective from the moment given), never an edit in place."""

    list_display = ["sponsor", "program", "version", "effective_from", "critical_notify"]
    list_filter = ["sponsor"]
    form = QualityAgreementForm
    readonly_fields = ["version", "made_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "sponsor", "program"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = agreement_version_add(
            actor=acting_admin(request),
            sponsor=obj.sponsor,
            program=obj.program,
            effective_from=data.get("effective_from") or timezone.now(),
            reason=data.get("reason") or ADMIN_REASON,
            **{name: data[name] for name in WINDOWS if name in data},
        )
        obj.pk, obj.version = saved.pk, saved.version


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
