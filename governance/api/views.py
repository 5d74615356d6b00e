"""Governance over REST. Reads for whoever sees the program; writes for the program's CDMO team
(and, for marking an action item done, its owner), by the same services and rules as the UI."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance import selectors
from governance.api.serializers import (
    ActionItemCreateSerializer,
    ActionItemSerializer,
    KickoffSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    RiskCreateSerializer,
    RiskSerializer,
)
from governance.models import ActionItem, Kickoff, Meeting
from governance.services import actions as action_services
from governance.services import risks as risk_services
from governance.services.common import NOT_PROGRAM_TEAM, require
from portal import bounds, clock
from portal.access import Action
from portal.api.authentication import api_user
from portal.api.schema import ERROR_DESCRIPTIONS, error_responses
from portal.api.serializers import ErrorSerializer
from portal.forms import DateFilter
from portal.models import User
from programs.api.views import CODE_PARAMETER, ProgramList, program_from_url
from programs.models import Program

NO_SUCH_PERSON = "No such person on this program."
NO_SUCH_MEETING = "No such meeting."
MAX_ID = 2**63 - 1
NOT_FOUND_WRITE = OpenApiResponse(
    ErrorSerializer,
    description=ERROR_DESCRIPTIONS[404] + " Also: the owner or meeting named is not on it.",
)


def _person(program: Program, email: str) -> User:
    person = selectors.program_people(program).filter(email__iexact=email).first()
    if person is None:
        raise exceptions.NotFound(NO_SUCH_PERSON)
    return person


class MeetingFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code", help_text="Program code.")
    status = django_filters.ChoiceFilter(choices=Meeting.Status.choices)
    starts_from = DateFilter(
        field_name="starts_at",
        lookup_expr="date__gte",
        help_text=f"On or after this date: {bounds.DATE_HELP.lower()}",
    )
    starts_to = DateFilter(
        field_name="starts_at",
        lookup_expr="date__lte",
        help_text=f"On or before this date: {bounds.DATE_HELP.lower()}",
    )

    class Meta:
        model = Meeting
        fields = ["program", "status", "starts_from", "starts_to"]


@extend_schema_view(
    get=extend_schema(
        summary="List meetings",
        tags=["meetings"],
        description="Meetings of the programs you may see, by start time.",
        responses={200: MeetingSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
)
class MeetingListView(ProgramList, generics.ListAPIView):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Meeting.objects.none()
        return selectors.meeting_list(user=api_user(self.request)).order_by("starts_at", "id")


class MeetingDetailView(generics.GenericAPIView):
    serializer_class = MeetingDetailSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Get a meeting",
        tags=["meetings"],
        description="One meeting by its UID, with attendance, minutes, agenda and action items.",
        parameters=[OpenApiParameter("uid", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: MeetingDetailSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, uid: str) -> Response:
        user = api_user(request)
        meeting = selectors.get_meeting_by_uid(user, uid)
        agenda = selectors.meeting_agenda(user, meeting)
        items = selectors.action_item_list(user=user, program=meeting.program).filter(
            meeting=meeting
        )
        context = {
            "agenda": [section.as_dict() for section in agenda],
            "action_items": list(items),
            "write_up": selectors.meeting_write_up(user, meeting),
        }
        return Response(MeetingDetailSerializer(meeting, context=context).data)


class ActionItemFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code", help_text="Program code.")
    status = django_filters.ChoiceFilter(choices=ActionItem.Status.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text="true: open and past due on the site's calendar; false: everything else.",
    )

    class Meta:
        model = ActionItem
        fields = ["program", "status", "overdue"]

    def filter_overdue(self, queryset: QuerySet[ActionItem], name: str, value: bool) -> Any:
        overdue = {"status": ActionItem.Status.OPEN, "due_date__lt": clock.site_today()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)


class ActionItemListView(ProgramList, generics.ListAPIView):
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter

    def get_queryset(self) -> QuerySet[ActionItem]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return ActionItem.objects.none()
        return selectors.action_item_list(user=api_user(self.request)).order_by("due_date", "id")

    @extend_schema(
        summary="List action items",
        tags=["action items"],
        description="Action items of the programs you may see, soonest due first.",
        responses={200: ActionItemSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create an action item",
        tags=["action items"],
        description=(
            "For the program's CDMO team. The owner is anyone on the program, either side; an "
            "internal item (the default) needs an owner at the CDMO."
        ),
        request=ActionItemCreateSerializer,
        responses={
            201: ActionItemSerializer,
            **error_responses(400, 401, 403, 429),
            404: NOT_FOUND_WRITE,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ActionItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        program = program_from_url(api_user(request), data["program"])
        # Refused before the owner and meeting are looked up; the service checks again.
        require(api_user(request), Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
        meeting = None
        if data["meeting"] is not None:
            meeting = (
                selectors.meeting_list(user=api_user(request), program=program)
                .filter(uid=data["meeting"])
                .first()
            )
            if meeting is None:
                raise exceptions.NotFound(NO_SUCH_MEETING)
        item = action_services.action_item_create(
            actor=api_user(request),
            program=program,
            title=data["title"],
            owner=_person(program, data["owner"]),
            due_date=data["due_date"],
            meeting=meeting,
            audience=data["audience"],
        )
        item = selectors.get_action_item_by_id(api_user(request), item.pk)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ActionItemCompleteView(generics.GenericAPIView):
    serializer_class = ActionItemSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Mark an action item done",
        tags=["action items"],
        description=(
            "For the item's owner (either side) or the program's CDMO team. 409: the item is "
            "already closed."
        ),
        request=None,
        responses={200: ActionItemSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        if pk > MAX_ID:
            raise exceptions.NotFound("No such action item.")
        item = selectors.get_action_item_by_id(api_user(request), pk)
        action_services.action_item_complete(actor=api_user(request), item=item)
        item = selectors.get_action_item_by_id(api_user(request), pk)
        return Response(ActionItemSerializer(item).data)


class ProgramRiskListView(ProgramList, generics.GenericAPIView):
    serializer_class = RiskSerializer
    filter_backends = []

    @extend_schema(
        summary="List a program's risks",
        tags=["risks"],
        description="The risk register, highest likelihood x impact first.",
        parameters=[CODE_PARAMETER],
        responses={200: RiskSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        program = program_from_url(api_user(request), code)
        page = self.paginate_queryset(selectors.risk_list(user=api_user(request), program=program))
        return self.get_paginated_response(RiskSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a risk",
        tags=["risks"],
        description=(
            "For the program's CDMO team. Internal (CDMO only) unless `audience` is `sponsor`; "
            "an internal risk needs an owner at the CDMO."
        ),
        parameters=[CODE_PARAMETER],
        request=RiskCreateSerializer,
        responses={
            201: RiskSerializer,
            **error_responses(400, 401, 403, 429),
            404: NOT_FOUND_WRITE,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        program = program_from_url(api_user(request), code)
        # Refused before the owner is looked up; the service checks again.
        require(api_user(request), Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
        serializer = RiskCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        email = data.pop("owner", None)
        owner = _person(program, email) if email else api_user(request)
        risk = risk_services.risk_create(
            actor=api_user(request), program=program, owner=owner, **data
        )
        return Response(RiskSerializer(risk).data, status=status.HTTP_201_CREATED)


class ProgramKickoffView(generics.GenericAPIView):
    serializer_class = KickoffSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Get a program's kick-off",
        tags=["kick-off"],
        description="The kick-off record and its checklist; complete once every item is done.",
        parameters=[CODE_PARAMETER],
        responses={200: KickoffSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        program = program_from_url(api_user(request), code)
        progress = selectors.kickoff_progress(program)
        kickoff = progress.kickoff or Kickoff(program=program)
        context = {"program": program, "checklist": [asdict(i) for i in progress.items]}
        return Response(KickoffSerializer(kickoff, context=context).data)
