"""Governance over REST: meetings, action items, risks and the kick-off. Records are addressed
by reference where one exists (program code, meeting UID); action items and risks have none,
so their own id is their reference."""

from __future__ import annotations

import datetime
from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.models import ActionItem, Kickoff, Meeting, Risk
from portal.access import Audience
from portal.api.serializers import (
    DateField,
    PersonSerializer,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from programs import kpi_catalogue
from programs.models import KpiTarget, Program

ACTION_TITLE_MAX = cast(int, ActionItem._meta.get_field("title").max_length)
RISK_TITLE_MAX = cast(int, Risk._meta.get_field("title").max_length)


class MeetingSerializer(serializers.ModelSerializer):
    uid = serializers.UUIDField(
        read_only=True, help_text="Stable for the meeting's life; also its calendar UID."
    )
    program = serializers.CharField(source="program.code", read_only=True)
    ends_at = serializers.SerializerMethodField()
    attendees = PersonSerializer(many=True, read_only=True)
    written_up = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "uid",
            "program",
            "title",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "time_zone",
            "status",
            "sequence",
            "attendees",
            "written_up",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "sequence": {"help_text": "Raised by every reschedule or cancellation."},
            "time_zone": {"help_text": "IANA zone the meeting's local time belongs to."},
        }

    def get_ends_at(self, meeting: Meeting) -> datetime.datetime:
        return meeting.starts_at + datetime.timedelta(minutes=meeting.duration_minutes)

    def get_written_up(self, meeting: Meeting) -> bool:
        return meeting.written_up_at is not None


class AgendaItemSerializer(serializers.Serializer):
    text = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    audience = serializers.ChoiceField(Audience.choices)


class AgendaSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    items = AgendaItemSerializer(many=True)


class ActionItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The action item's reference.")
    program = serializers.CharField(source="program.code", read_only=True)
    owner = PersonSerializer(read_only=True)
    meeting = serializers.UUIDField(
        source="meeting.uid", read_only=True, allow_null=True, help_text="The meeting it came from."
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "program",
            "title",
            "owner",
            "due_date",
            "status",
            "overdue",
            "audience",
            "meeting",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"audience": {"help_text": "`internal`: the CDMO only."}}

    def get_overdue(self, item: ActionItem) -> bool:
        """Open and past its due date on the site's calendar."""
        return item.is_overdue


class MeetingDetailSerializer(MeetingSerializer):
    present = PersonSerializer(many=True, read_only=True)
    minutes = serializers.SerializerMethodField(
        help_text="Empty when the minutes are internal and you are at the sponsor."
    )
    decisions = serializers.SerializerMethodField(
        help_text="Empty when the decisions are internal and you are at the sponsor."
    )
    written_up_by = PersonSerializer(read_only=True, allow_null=True)
    agenda = serializers.SerializerMethodField(
        help_text="Once written up, the agenda as it stood; before, composed from what is open."
    )
    action_items = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [
            *MeetingSerializer.Meta.fields,
            "present",
            "minutes",
            "minutes_audience",
            "decisions",
            "decisions_audience",
            "written_up_at",
            "written_up_by",
            "agenda",
            "action_items",
        ]
        read_only_fields = fields

    def get_minutes(self, meeting: Meeting) -> str:
        return str(self.context["write_up"].minutes)

    def get_decisions(self, meeting: Meeting) -> str:
        return str(self.context["write_up"].decisions)

    @extend_schema_field(AgendaSectionSerializer(many=True))
    def get_agenda(self, meeting: Meeting) -> Any:
        return self.context["agenda"]

    @extend_schema_field(ActionItemSerializer(many=True))
    def get_action_items(self, meeting: Meeting) -> Any:
        return ActionItemSerializer(
            self.context["action_items"], many=True, context=self.context
        ).data


class ActionItemCreateSerializer(StrictSerializer):
    """Input only: `governance.services.action_item_create` decides and writes."""

    program = StrictLineField(max_length=20, help_text="The program's code, e.g. `HLX-101`.")
    title = StrictLineField(max_length=ACTION_TITLE_MAX)
    owner = serializers.EmailField(
        help_text="Email of the owner: a CDMO person on the program or one of the sponsor's users."
    )
    due_date = DateField()
    meeting = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="UID of the meeting it came from; its due date cannot be before that meeting.",
    )
    audience = serializers.ChoiceField(
        Audience.choices,
        default=Audience.INTERNAL,
        help_text="`sponsor` to share it with the sponsor; internal (the CDMO only) if left out.",
    )


class RiskSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The risk's reference.")
    owner = PersonSerializer(read_only=True)
    score = serializers.IntegerField(read_only=True, help_text="likelihood x impact, 1-25.")

    class Meta:
        model = Risk
        fields = [
            "id",
            "title",
            "description",
            "likelihood",
            "impact",
            "score",
            "mitigation",
            "contingency",
            "owner",
            "status",
            "review_date",
            "audience",
            "created_at",
        ]
        read_only_fields = fields


class RiskCreateSerializer(StrictSerializer):
    title = StrictLineField(max_length=RISK_TITLE_MAX)
    description = StrictCharField(required=False, allow_blank=True, default="")
    likelihood = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    mitigation = StrictCharField(required=False, allow_blank=True, default="")
    contingency = StrictCharField(
        required=False, allow_blank=True, default="", help_text="What we do if it happens."
    )
    owner = serializers.EmailField(
        required=False, help_text="Email of the risk's owner; you, if left out."
    )
    status = serializers.ChoiceField(Risk.Status.choices, default=Risk.Status.OPEN)
    review_date = DateField()
    audience = serializers.ChoiceField(
        Audience.choices,
        default=Audience.INTERNAL,
        help_text="`sponsor` to share it with the sponsor; internal (the CDMO only) if left out.",
    )


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    done = serializers.BooleanField()
    detail = serializers.CharField()


class KpiTargetSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    name = serializers.CharField(source="get_kpi_display")
    target = serializers.DecimalField(max_digits=12, decimal_places=2)
    unit = serializers.SerializerMethodField()
    agreed_at = serializers.DateTimeField()

    def get_unit(self, target: KpiTarget) -> str:
        return kpi_catalogue.definition(target.kpi).unit


class KickoffSerializer(serializers.Serializer):
    program = serializers.SerializerMethodField()
    held_on = serializers.DateField(allow_null=True)
    attendees = serializers.SerializerMethodField()
    agenda = serializers.CharField()
    decisions = serializers.CharField()
    baseline_agreed_at = serializers.DateTimeField(allow_null=True)
    kpi_targets = serializers.SerializerMethodField(
        help_text="The KPI targets agreed at the kick-off (the checklist's `kpi_targets` item is "
        "done when every headline KPI has one)."
    )
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = PersonSerializer(allow_null=True)
    baseline_frozen_at = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField()

    def get_program(self, kickoff: Kickoff) -> str:
        return self.context["program"].code

    @extend_schema_field(KpiTargetSerializer(many=True))
    def get_kpi_targets(self, kickoff: Kickoff) -> Any:
        targets = KpiTarget.objects.filter(program=self.context["program"])
        return KpiTargetSerializer(targets.order_by("kpi"), many=True).data

    @extend_schema_field(PersonSerializer(many=True))
    def get_attendees(self, kickoff: Kickoff) -> Any:
        people = kickoff.attendees.all() if kickoff.pk else []
        return PersonSerializer(people, many=True).data

    @extend_schema_field(
        serializers.DateTimeField(
            allow_null=True, help_text="When completing the kick-off froze the baselines."
        )
    )
    def get_baseline_frozen_at(self, kickoff: Kickoff) -> datetime.datetime | None:
        program: Program = self.context["program"]
        return program.baseline_frozen_at

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, kickoff: Kickoff) -> Any:
        return ChecklistItemSerializer(self.context["checklist"], many=True).data
