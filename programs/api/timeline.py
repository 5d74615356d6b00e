"""Workstreams and milestones over REST: read for everyone who sees the program; writes for
the program's CDMO team, through the same services (and rules) as the timeline page.

Invalid input, cross-field rules included (a forecast in the past, dates in the wrong order,
an owner who cannot own, a name already taken), is a 400 naming the field; 409 is only for the
record's current state (moving the forecast of a completed milestone); 403 for a user who sees
the program but is not on its CDMO team.
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal.access import Action
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import (
    DateField,
    PersonSerializer,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from portal.errors import Invalid
from portal.models import User
from programs import selectors
from programs.api.views import CODE_PARAMETER, ProgramList, program_from_url, program_grant_from_url
from programs.models import Milestone, Program, Workstream
from programs.services import timeline as services

MAX_ID = 2**63 - 1
NO_SUCH_MILESTONE = "No such milestone."
NO_SUCH_WORKSTREAM = "No such workstream in this program."
MILESTONE_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The milestone's id (from the list)."
)


def max_length(model: type[models.Model], field: str) -> int:
    return int(getattr(model._meta.get_field(field), "max_length", None) or 0)


class WorkstreamSerializer(serializers.ModelSerializer):
    cdmo_owner = PersonSerializer(read_only=True, allow_null=True)
    sponsor_owner = PersonSerializer(read_only=True, allow_null=True)
    has_both_owners = serializers.BooleanField(
        read_only=True, help_text="Every workstream needs both before the kick-off completes."
    )

    class Meta:
        model = Workstream
        fields = [
            "name",
            "kind",
            "status",
            "cdmo_owner",
            "sponsor_owner",
            "start_date",
            "end_date",
            "has_both_owners",
        ]
        read_only_fields = fields


class WorkstreamCreateSerializer(StrictSerializer):
    name = StrictLineField(max_length=max_length(Workstream, "name"))
    kind = serializers.ChoiceField(Workstream.Kind.choices, default=Workstream.Kind.OTHER)
    status = serializers.ChoiceField(
        Workstream.Status.choices, default=Workstream.Status.NOT_STARTED
    )
    cdmo_owner = StrictLineField(
        required=False,
        allow_null=True,
        max_length=254,
        help_text="Email of the CDMO owner.",
    )
    sponsor_owner = StrictLineField(
        required=False,
        allow_null=True,
        max_length=254,
        help_text="Email of the sponsor owner, a user of this program's sponsor.",
    )
    start_date = DateField(required=False, allow_null=True)
    end_date = DateField(required=False, allow_null=True)


class MilestoneSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The milestone's reference.")
    workstream = serializers.CharField(
        source="workstream.name",
        read_only=True,
        allow_null=True,
        help_text="The workstream's name; null for a program-wide milestone.",
    )
    slip_days = serializers.IntegerField(
        read_only=True, help_text="Forecast (or actual) minus baseline, in days."
    )
    is_complete = serializers.BooleanField(source="is_done", read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "name",
            "description",
            "workstream",
            "baseline_date",
            "forecast_date",
            "actual_date",
            "slip_days",
            "is_complete",
            "forecast_changed_at",
        ]
        read_only_fields = fields


class MilestoneCreateSerializer(StrictSerializer):
    name = StrictLineField(max_length=max_length(Milestone, "name"))
    description = StrictCharField(required=False, allow_blank=True, default="")
    workstream = StrictLineField(
        required=False,
        allow_null=True,
        max_length=max_length(Workstream, "name"),
        help_text="The workstream's name; omit for a program-wide milestone.",
    )
    baseline_date = DateField(help_text="The agreed date; the forecast starts here.")


class MilestoneRescheduleSerializer(StrictSerializer):
    forecast_date = DateField(
        help_text="Today or later: an unfinished milestone's forecast is never in the past."
    )
    reason = StrictCharField(help_text="Why it moves; audited and shown to the sponsor.")


class WorkstreamListView(ProgramList, generics.GenericAPIView):
    serializer_class = WorkstreamSerializer
    filter_backends = []

    @extend_schema(
        summary="List a program's workstreams",
        tags=["timeline"],
        parameters=[CODE_PARAMETER],
        responses={200: WorkstreamSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        page = self.paginate_queryset(selectors.workstream_list(user, program))
        return self.get_paginated_response(WorkstreamSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a workstream",
        tags=["timeline"],
        description="For the program's CDMO team. Owners are named by email: the CDMO owner "
        "a CDMO user, the sponsor owner a user of this program's sponsor.",
        parameters=[CODE_PARAMETER],
        request=WorkstreamCreateSerializer,
        responses={
            201: WorkstreamSerializer,
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        grant.require(Action.EDIT_PROGRAM)
        program = grant.obj
        serializer = WorkstreamCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["cdmo_owner"] = _owner(program, data.get("cdmo_owner"), "cdmo")
        data["sponsor_owner"] = _owner(program, data.get("sponsor_owner"), "sponsor")
        workstream = services.workstream_create(actor=user, program=program, **data)
        return Response(WorkstreamSerializer(workstream).data, status=status.HTTP_201_CREATED)


def _owner(program: Program, email: str | None, side: str) -> User | None:
    if not email:
        return None
    person = selectors.find_owner(program, email, side=side)
    if person is None:
        if side == "cdmo":
            raise Invalid(services.CDMO_OWNER_INVALID, field="cdmo_owner")
        raise Invalid(services.SPONSOR_OWNER_INVALID, field="sponsor_owner")
    return person


class MilestoneListView(ProgramList, generics.GenericAPIView):
    serializer_class = MilestoneSerializer
    filter_backends = []

    @extend_schema(
        summary="List a program's milestones",
        tags=["timeline"],
        description="Soonest forecast first, with baseline, forecast, actual and slip.",
        parameters=[CODE_PARAMETER],
        responses={200: MilestoneSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        page = self.paginate_queryset(selectors.milestone_list(user, program))
        return self.get_paginated_response(MilestoneSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a milestone",
        tags=["timeline"],
        description="For the program's CDMO team. The forecast starts on the baseline.",
        parameters=[CODE_PARAMETER],
        request=MilestoneCreateSerializer,
        responses={
            201: MilestoneSerializer,
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        grant.require(Action.EDIT_PROGRAM)
        program = grant.obj
        serializer = MilestoneCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        name = data.pop("workstream", None)
        workstream = None
        if name:
            workstream = selectors.find_workstream(user, program, name)
            if workstream is None:
                raise Invalid(NO_SUCH_WORKSTREAM, field="workstream")
        milestone = services.milestone_create(
            actor=user, program=program, workstream=workstream, **data
        )
        return Response(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


class MilestoneRescheduleView(generics.GenericAPIView):
    serializer_class = MilestoneSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Move a milestone's forecast",
        tags=["timeline"],
        description="For the program's CDMO team; a reason is required and audited. A slip "
        "beyond the program's threshold that got worse is announced to the sponsor as a "
        "notable update. A completed milestone no longer moves: 409.",
        parameters=[CODE_PARAMETER, MILESTONE_ID],
        request=MilestoneRescheduleSerializer,
        responses={
            200: MilestoneSerializer,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        program = grant.obj
        if pk > MAX_ID:
            raise exceptions.NotFound(NO_SUCH_MILESTONE)
        milestone = selectors.get_milestone_for_user(user, program, pk)
        grant.require(Action.EDIT_PROGRAM)
        serializer = MilestoneRescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_reschedule(
            actor=user, milestone=milestone, **serializer.validated_data
        )
        return Response(MilestoneSerializer(milestone).data)
