"""Updates over REST, and the one-call program status that composes them."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from comms.models import Update
from portal.api.serializers import (
    PersonSerializer,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from programs.api.costs import AmountField, TotalField
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

    title = StrictLineField(max_length=TITLE_MAX_LENGTH)
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


class StatusMilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    baseline_date = serializers.DateField()
    forecast_date = serializers.DateField()
    slip_days = serializers.IntegerField(help_text="Forecast minus baseline, in days.")


class StatusMeetingSerializer(serializers.Serializer):
    uid = serializers.UUIDField(help_text="The meeting's calendar UID: stable for life.")
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    time_zone = serializers.CharField()


class StatusRiskSerializer(serializers.Serializer):
    title = serializers.CharField()
    likelihood = serializers.IntegerField()
    impact = serializers.IntegerField()
    score = serializers.IntegerField()


class StatusActionsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Counted up to five.")


class StatusCostsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    contract_value = AmountField(allow_null=True)
    approved_change_orders = TotalField()
    effective_budget = TotalField()
    committed = TotalField()
    invoiced = TotalField()
    pending_change_orders = serializers.IntegerField()


class StatusKickoffSerializer(serializers.Serializer):
    complete = serializers.BooleanField()
    done = serializers.IntegerField(help_text="Checklist items done.")
    total = serializers.IntegerField()


class StatusDeviationsSerializer(serializers.Serializer):
    critical = serializers.IntegerField()
    major = serializers.IntegerField()
    minor = serializers.IntegerField()


class ProgramStatusSerializer(ProgramSerializer):
    """How is my program doing: the program at a glance, its timeline, meetings, risks, costs
    and what it said most recently. A fixed number of queries, whatever the data."""

    latest_updates = serializers.SerializerMethodField(
        help_text="The newest updates you may see, newest first (at most five)."
    )
    next_milestones = serializers.SerializerMethodField(
        help_text="Unfinished milestones due next (at most five)."
    )
    slipped_milestones = serializers.SerializerMethodField(
        help_text="Unfinished milestones forecast later than their baseline (at most five)."
    )
    open_questions = serializers.SerializerMethodField(
        help_text="Sponsor questions the CDMO has not answered yet."
    )
    next_meeting = serializers.SerializerMethodField()
    action_items = serializers.SerializerMethodField()
    top_risks = serializers.SerializerMethodField(help_text="Open risks by score (at most 3).")
    costs = serializers.SerializerMethodField()
    kickoff = serializers.SerializerMethodField()
    open_deviations = serializers.SerializerMethodField(
        help_text="Deviations not yet closed or cancelled, by classification."
    )

    class Meta(ProgramSerializer.Meta):
        fields = [
            *ProgramSerializer.Meta.fields,
            "latest_updates",
            "next_milestones",
            "slipped_milestones",
            "open_questions",
            "next_meeting",
            "action_items",
            "top_risks",
            "costs",
            "kickoff",
            "open_deviations",
        ]
        read_only_fields = fields

    @property
    def _overview(self) -> Any:
        return self.context["overview"]

    @extend_schema_field(UpdateSerializer(many=True))
    def get_latest_updates(self, program: Program) -> Any:
        return UpdateSerializer(self.context["latest_updates"], many=True).data

    @extend_schema_field(StatusMilestoneSerializer(many=True))
    def get_next_milestones(self, program: Program) -> Any:
        return StatusMilestoneSerializer(self._overview.next_milestones, many=True).data

    @extend_schema_field(StatusMilestoneSerializer(many=True))
    def get_slipped_milestones(self, program: Program) -> Any:
        return StatusMilestoneSerializer(self._overview.slipped, many=True).data

    @extend_schema_field(serializers.IntegerField())
    def get_open_questions(self, program: Program) -> int:
        return int(self._overview.open_question_count)

    @extend_schema_field(StatusMeetingSerializer(allow_null=True))
    def get_next_meeting(self, program: Program) -> Any:
        meeting = self._overview.next_meeting
        return None if meeting is None else StatusMeetingSerializer(meeting).data

    @extend_schema_field(StatusActionsSerializer)
    def get_action_items(self, program: Program) -> Any:
        counts = {
            "open": self._overview.open_action_count,
            "overdue": len(self._overview.overdue_actions),
        }
        return StatusActionsSerializer(counts).data

    @extend_schema_field(StatusRiskSerializer(many=True))
    def get_top_risks(self, program: Program) -> Any:
        return StatusRiskSerializer(self._overview.top_risks, many=True).data

    @extend_schema_field(StatusCostsSerializer)
    def get_costs(self, program: Program) -> Any:
        return StatusCostsSerializer(self._overview.costs).data

    @extend_schema_field(StatusKickoffSerializer)
    def get_kickoff(self, program: Program) -> Any:
        return StatusKickoffSerializer(self._overview.kickoff).data

    @extend_schema_field(StatusDeviationsSerializer)
    def get_open_deviations(self, program: Program) -> Any:
        return StatusDeviationsSerializer(self._overview.open_deviations).data
