"""Deviations over REST: addressed by reference, never by database id."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deviations.models import CAPA, Deviation, QualityAgreement, RootCause
from deviations.services.lifecycle import allowed_targets
from portal.api.serializers import (
    DateField,
    DateTimeField,
    PersonSerializer,
    SignatureSerializer,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from portal.signatures import SignatureStatus, signatures_with_status


class RootCauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RootCause
        fields = ["category", "description"]


class CAPASerializer(serializers.ModelSerializer):
    owner = PersonSerializer(read_only=True)
    overdue = serializers.BooleanField(
        source="is_overdue", read_only=True, help_text="Open after its due date (site calendar)."
    )

    class Meta:
        model = CAPA
        fields = [
            "number",
            "kind",
            "description",
            "owner",
            "due_date",
            "due_justification",
            "overdue",
            "status",
            "effectiveness_check",
            "effectiveness_checked_on",
        ]


class DeviationSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code", read_only=True)
    batches: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="lot_number",
        many=True,
        read_only=True,
        help_text="Lot numbers of the batches it affects (programs/{code}/batches/).",
    )
    sponsor_acknowledged_by = PersonSerializer(read_only=True, allow_null=True)
    notification_window_met = serializers.SerializerMethodField()
    seconds_to_notify = serializers.IntegerField(read_only=True, allow_null=True)
    seconds_to_acknowledge = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Deviation
        fields = [
            "reference",
            "program",
            "batches",
            "title",
            "description",
            "classification",
            "status",
            "version",
            "occurred_at",
            "aware_at",
            "notification_due",
            "sponsor_notified_at",
            "notification_window_met",
            "seconds_to_notify",
            "sponsor_acknowledged_at",
            "sponsor_acknowledged_by",
            "seconds_to_acknowledge",
            "investigation_due",
            "closed_at",
        ]
        read_only_fields = fields

    def get_notification_window_met(self, deviation: Deviation) -> bool | None:
        """True or false once the sponsor was notified; null while the clock runs."""
        if deviation.sponsor_notified_at is None:
            return None if deviation.notification_due > timezone.now() else False
        return deviation.sponsor_notified_at <= deviation.notification_due


class DeviationDetailSerializer(DeviationSerializer):
    root_causes = RootCauseSerializer(many=True, read_only=True)
    capas = CAPASerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField()

    class Meta(DeviationSerializer.Meta):
        fields = [
            *DeviationSerializer.Meta.fields,
            "impact_product_quality",
            "impact_other_batches",
            "impact_timeline",
            "impact_cost",
            "no_capa_rationale",
            "closure_reason",
            "root_causes",
            "capas",
            "allowed_transitions",
            "signatures",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, deviation: Deviation) -> list[str]:
        """The statuses you may move it to now."""
        return allowed_targets(self.context.get("held", ()), deviation)

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, deviation: Deviation) -> Any:
        """Its electronic signatures, oldest first, each with whether it is current. A
        signature covers the deviation with its impact, closure, root causes and CAPA actions;
        the sponsor's acknowledgement is recorded beside them and is not signed content."""
        return SignatureSerializer(signatures_with_status(deviation), many=True).data


class DeviationCreateSerializer(StrictSerializer):
    program = StrictLineField(max_length=20, help_text="The program's code.")
    title = StrictLineField(max_length=200)
    description = StrictCharField()
    classification = serializers.ChoiceField(choices=Deviation.Classification.choices)
    batches = serializers.ListField(
        child=StrictLineField(max_length=40),
        required=False,
        default=list,
        max_length=50,
        help_text="Lot numbers of the program's batches this deviation affects.",
    )
    occurred_at = DateTimeField()
    aware_at = DateTimeField(help_text="The notification clock starts here.")


class DeviationTransitionSerializer(StrictSerializer):
    to = serializers.ChoiceField(choices=Deviation.Status.choices)
    expected_version = serializers.IntegerField(
        min_value=1, help_text="The `version` you read: a changed deviation is a 409."
    )
    reason = StrictCharField(required=False, allow_blank=True, default="")
    no_capa_rationale = StrictCharField(required=False, allow_blank=True, default="")
    password = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="Signing steps (close, cancel) need the signer's password, in a signed-in "
        "session only: a token cannot sign.",
    )


class AuditChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    record = serializers.CharField(source="object_repr")
    reason = serializers.CharField()
    request_id = serializers.CharField()
    changes = AuditChangeSerializer(many=True)
    signature = serializers.SerializerMethodField()

    @extend_schema_field(SignatureSerializer(allow_null=True))
    def get_signature(self, row: Any) -> Any:
        """The signature a signing row gave (printed name, time, meaning, version) and whether
        it is still current; null on other rows."""
        if row.signature is None:
            return None
        current = row.signature.pk in self.context.get("current_signatures", ())
        return SignatureSerializer(SignatureStatus(row.signature, current)).data


class RootCauseCreateSerializer(StrictSerializer):
    category = serializers.ChoiceField(choices=RootCause.Category.choices)
    description = StrictCharField()


class CAPACreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=CAPA.Kind.choices)
    description = StrictCharField()
    owner = serializers.EmailField(help_text="The email of the CDMO person who owns it.")
    due_date = DateField(
        required=False,
        help_text="Empty: the end of the quality agreement's CAPA window, counted from now.",
    )
    due_justification = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when `due_date` is after the agreement's CAPA window.",
    )


class CAPACompleteSerializer(StrictSerializer):
    effectiveness_check = StrictCharField(required=False, allow_blank=True, default="")


class QualityAgreementSerializer(serializers.ModelSerializer):
    """One version of a sponsor's quality agreement (its default, or a program's override)."""

    sponsor = serializers.CharField(source="sponsor.slug", read_only=True)
    program = serializers.CharField(source="program.code", read_only=True, allow_null=True)
    made_by = serializers.CharField(source="made_by.display_name", read_only=True, allow_null=True)
    # Units as plain strings ("hours", "days", "business_days"): one choice set under five
    # field names would give the schema five names for the same enum.
    critical_notify_unit = serializers.CharField(read_only=True)
    major_notify_unit = serializers.CharField(read_only=True)
    minor_notify_unit = serializers.CharField(read_only=True)
    investigation_unit = serializers.CharField(read_only=True)
    capa_unit = serializers.CharField(read_only=True)

    class Meta:
        model = QualityAgreement
        fields = [
            "id",
            "sponsor",
            "program",
            "version",
            "effective_from",
            "made_by",
            "reason",
            "critical_notify",
            "critical_notify_unit",
            "major_notify",
            "major_notify_unit",
            "minor_notify",
            "minor_notify_unit",
            "investigation",
            "investigation_unit",
            "capa",
            "capa_unit",
        ]
