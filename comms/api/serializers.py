"""Updates over REST, and the one-call program status that composes them."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from comms.models import Update
from portal.api.serializers import PersonSerializer, StrictCharField, StrictSerializer
from programs.api.serializers import ProgramSerializer
from programs.models import Audience, Program

TITLE_MAX_LENGTH = cast(int, Update._meta.get_field("title").max_length)


class UpdateSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The update's own reference.")
    author = PersonSerializer(
        read_only=True, allow_null=True, help_text="Null when the portal posted it itself."
    )

    class Meta:
        model = Update
        fields = [
            "id",
            "title",
            "body",
            "category",
            "significance",
            "audience",
            "author",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class UpdateCreateSerializer(StrictSerializer):
    """Input only: the service `comms.services.update_post` decides and writes."""

    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    body = StrictCharField()
    category = serializers.ChoiceField(Update.Category.choices, default=Update.Category.GENERAL)
    significance = serializers.ChoiceField(
        Update.Significance.choices, default=Update.Significance.INFO
    )
    audience = serializers.ChoiceField(
        Audience.choices,
        default=Audience.SPONSOR,
        help_text="`internal` keeps it a CDMO-only draft; `sponsor` publishes and notifies.",
    )


class ProgramStatusSerializer(ProgramSerializer):
    """How is my program doing: the program at a glance and what it said most recently."""

    latest_updates = serializers.SerializerMethodField(
        help_text="The newest updates you may see, newest first (at most five)."
    )

    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "latest_updates"]
        read_only_fields = fields

    @extend_schema_field(UpdateSerializer(many=True))
    def get_latest_updates(self, program: Program) -> Any:
        return UpdateSerializer(self.context["latest_updates"], many=True).data
