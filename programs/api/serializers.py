"""What a REST client reads about a program. Read-only: programs are set up at the CDMO."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.serializers import OrganisationSerializer, PersonSerializer
from programs.models import Program


class ProgramSerializer(serializers.ModelSerializer):
    sponsor = OrganisationSerializer(read_only=True)
    dedicated_pm = serializers.SerializerMethodField(
        help_text="The CDMO project manager embedded in the program; null while unassigned."
    )

    class Meta:
        model = Program
        fields = [
            "code",
            "name",
            "sponsor",
            "product",
            "modality",
            "phase",
            "status",
            "health",
            "health_reason",
            "start_date",
            "target_launch_date",
            "dedicated_pm",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_dedicated_pm(self, program: Program) -> dict[str, Any] | None:
        pm = program.dedicated_pm
        return PersonSerializer(pm.user).data if pm else None
