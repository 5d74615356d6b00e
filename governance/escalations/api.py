"""Escalations over REST (DESIGN §6 `escalations/`): list and filter, one by its reference
(`ESC-YYYY-NNNN`), acknowledge, assign and resolve (leadership), raise on a program (its CDMO
team: an issue; its sponsor's users: a concern to leadership), and the escalation paths."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance.escalations import selectors, services
from governance.escalations.models import Escalation, EscalationLevel
from portal import access
from portal.access import Action
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import (
    PersonSerializer,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from portal.clock import Unit
from portal.errors import Invalid, NotAllowed
from portal.models import User
from programs.api.views import CODE_PARAMETER, ProgramList, program_grant_from_url

REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The escalation's reference, e.g. `ESC-2026-0001`.",
    pattern=r"^ESC-\d{4}-\d{4,}$",
)
PATH_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A program's code, e.g. `HLX-101`, or `default` for the CDMO's default path.",
    pattern=r"^([A-Z0-9-]{1,20}|default)$",
)
NO_SUCH_PERSON = "No CDMO user with that email."
TAGS = ["escalations"]


class EscalationSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    program = serializers.CharField(source="program.code", read_only=True)
    sponsor = serializers.CharField(source="program.sponsor.name", read_only=True)
    status = serializers.ChoiceField(choices=Escalation.Status.choices, read_only=True)
    subject = serializers.CharField(source="subject_kind", read_only=True)
    raised_by = PersonSerializer(read_only=True, allow_null=True)
    acknowledged_by = PersonSerializer(read_only=True, allow_null=True)
    assigned_to = PersonSerializer(read_only=True, allow_null=True)
    resolved_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Escalation
        fields = [
            "reference",
            "program",
            "sponsor",
            "subject",
            "subject_id",
            "title",
            "detail",
            "url",
            "rule",
            "raised_by",
            "raised_at",
            "audience",
            "status",
            "level",
            "level_started_at",
            "due_at",
            "acknowledged_at",
            "acknowledged_by",
            "assigned_to",
            "resolved_at",
            "resolved_by",
            "resolution",
        ]
        read_only_fields = fields


class RaiseSerializer(StrictSerializer):
    title = StrictLineField(max_length=250)
    detail = StrictCharField(max_length=10_000, required=False, allow_blank=True, default="")


class AssignSerializer(StrictSerializer):
    assignee = serializers.EmailField(help_text="The email of a user at the CDMO.")


class ResolveSerializer(StrictSerializer):
    resolution = StrictCharField(
        max_length=10_000, allow_blank=True, help_text="How it was resolved (required)."
    )


class LevelSerializer(StrictSerializer):
    position = serializers.IntegerField(read_only=True)
    role = serializers.ChoiceField(
        choices=EscalationLevel.Role.choices, required=False, allow_blank=True, default=""
    )
    person = serializers.EmailField(
        required=False, allow_null=True, default=None, help_text="A CDMO user, instead of a role."
    )
    window = serializers.IntegerField(help_text="At least 1.")
    window_unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.HOURS)


class PathSerializer(StrictSerializer):
    levels = LevelSerializer(many=True, allow_empty=True)


def _path_data(levels: list[EscalationLevel], *, built_in: bool) -> dict[str, Any]:
    return {
        "built_in": built_in,
        "levels": [
            {
                "position": level.position,
                "role": level.role,
                "person": level.person.email if level.person_id and level.person else None,
                "window": level.window,
                "window_unit": level.window_unit,
            }
            for level in levels
        ],
    }


class PathOutSerializer(serializers.Serializer):
    built_in = serializers.BooleanField(help_text="No path is saved: the built-in levels apply.")
    levels = LevelSerializer(many=True)


class EscalationFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__code", help_text="A program's code.")
    level = django_filters.NumberFilter(field_name="level")
    status = django_filters.ChoiceFilter(
        choices=[(name, name) for name in selectors.STATUS_FILTERS],
        method="by_status",
        help_text="open, unacknowledged, acknowledged, resolved or all (the default).",
    )

    class Meta:
        model = Escalation
        fields = ["program", "level", "status"]

    def by_status(self, queryset: QuerySet[Escalation], name: str, value: str) -> Any:
        return queryset.filter(selectors.STATUS_FILTERS[value])


def _escalation(user: User, reference: str) -> Escalation:
    if len(reference) > 30 or not reference.isprintable():
        raise Http404("No such escalation.")
    return selectors.escalation_by_reference(user, reference)


def _answer(user: User, reference: str, code: int = status.HTTP_200_OK) -> Response:
    return Response(
        EscalationSerializer(selectors.escalation_by_reference(user, reference)).data, status=code
    )


@extend_schema_view(
    get=extend_schema(
        summary="List escalations",
        tags=TAGS,
        description="The escalations you may see, newest first: every one for the CDMO, a "
        "sponsor's own concerns for its users.",
        responses={200: EscalationSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
)
class EscalationListView(ProgramList, generics.ListAPIView):
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter

    def get_queryset(self) -> QuerySet[Escalation]:
        if getattr(self, "swagger_fake_view", False):
            return Escalation.objects.none()
        return selectors.escalation_list(api_user(self.request), status="all").order_by(
            "-raised_at", "-id"
        )


class EscalationDetailView(generics.GenericAPIView):
    serializer_class = EscalationSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get an escalation",
        tags=TAGS,
        parameters=[REFERENCE_PARAMETER],
        responses={200: EscalationSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(EscalationSerializer(_escalation(api_user(request), reference)).data)


class EscalationAcknowledgeView(generics.GenericAPIView):
    serializer_class = EscalationSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Acknowledge an escalation",
        tags=TAGS,
        description="For CDMO leadership, once: the sweep stops moving it. A second time, or "
        "after resolution, is a 409.",
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={200: EscalationSerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        services.escalation_acknowledge(actor=user, escalation=_escalation(user, reference))
        return _answer(user, reference)


class EscalationAssignView(generics.GenericAPIView):
    serializer_class = EscalationSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Assign an escalation",
        tags=TAGS,
        description="For CDMO leadership: name who at the CDMO works on it. An unknown email or "
        "someone outside the CDMO is a 400 naming `assignee`; a resolved one is a 409.",
        parameters=[REFERENCE_PARAMETER],
        request=AssignSerializer,
        responses={200: EscalationSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        escalation = _escalation(user, reference)
        if not access.may(user, Action.ESCALATION_ACT, escalation.program):
            raise NotAllowed(services.NOT_LEADERSHIP)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee = selectors.active_person(serializer.validated_data["assignee"])
        if assignee is None or not access.is_cdmo(assignee):
            raise Invalid(NO_SUCH_PERSON, field="assignee")
        services.escalation_assign(actor=user, escalation=escalation, assignee=assignee)
        return _answer(user, reference)


class EscalationResolveView(generics.GenericAPIView):
    serializer_class = EscalationSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Resolve an escalation",
        tags=TAGS,
        description="For CDMO leadership, with a resolution note (an empty one is a 400 naming "
        "`resolution`). The sponsor reads the note of their own concern. Twice is a 409.",
        parameters=[REFERENCE_PARAMETER],
        request=ResolveSerializer,
        responses={200: EscalationSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        escalation = _escalation(user, reference)
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.escalation_resolve(
            actor=user, escalation=escalation, resolution=serializer.validated_data["resolution"]
        )
        return _answer(user, reference)


class ProgramEscalationRaiseView(generics.GenericAPIView):
    serializer_class = EscalationSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Raise an escalation on a program",
        tags=TAGS,
        description="A user of the program's sponsor raises a concern straight to the CDMO's "
        "leadership (the sponsor sees it, its acknowledgement and its resolution); the "
        "program's CDMO team raises an internal issue at the path's first level. Another "
        "sponsor's program is a 404; an empty title is a 400 naming `title`.",
        parameters=[CODE_PARAMETER],
        request=RaiseSerializer,
        responses={201: EscalationSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        concern = grant.may(Action.RAISE_CONCERN)
        if not concern and not grant.may(Action.RAISE_ISSUE):
            raise NotAllowed(services.NOT_TEAM)
        serializer = RaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.concern_raise if concern else services.issue_raise
        escalation = service(actor=user, program=grant.obj, **serializer.validated_data)
        return _answer(user, escalation.reference, status.HTTP_201_CREATED)


class EscalationPathView(generics.GenericAPIView):
    serializer_class = PathOutSerializer
    filter_backends = []
    pagination_class = None

    def _program(self, user: User, code: str) -> Any:
        if code == "default":
            if not access.is_cdmo(user):
                raise Http404("No such program.")
            return None
        return program_grant_from_url(user, code).obj

    @extend_schema(
        summary="Get an escalation path",
        tags=TAGS,
        description="The levels in force for a program (its own path, else the CDMO's "
        "default), or the CDMO's default path (`default`). CDMO users only; a sponsor gets a "
        "404 for `default` and a 403 for a program.",
        parameters=[PATH_PARAMETER],
        responses={200: PathOutSerializer, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = self._program(user, code)
        if not access.is_cdmo(user):
            raise NotAllowed(services.NOT_PATH_EDITOR)
        levels, built_in = selectors.path_in_force(program)
        return Response(_path_data(levels, built_in=built_in))

    @extend_schema(
        summary="Set an escalation path",
        tags=TAGS,
        description="Replace the levels, in order: each a `role` or a `person` (a CDMO user's "
        "email) with a `window` of at least 1 in `hours`, `days` or `business_days`. A "
        "program's path: its PM or leadership; the default path: leadership. No levels, or a "
        "window below 1, is a 400 naming the field.",
        parameters=[PATH_PARAMETER],
        request=PathSerializer,
        responses={200: PathOutSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = self._program(user, code)
        if program is None and not access.is_leadership(user):
            raise NotAllowed(services.NOT_LEADERSHIP)
        if program is not None and not access.may(user, Action.EDIT_ESCALATION_PATH, program):
            raise NotAllowed(services.NOT_PATH_EDITOR)
        serializer = PathSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        levels = []
        for n, level in enumerate(serializer.validated_data["levels"]):
            email = level.pop("person", None)
            if email:
                person = selectors.active_person(email)
                if person is None:
                    raise Invalid(NO_SUCH_PERSON, field=f"levels[{n}].person")
                level["person"] = person
            levels.append(level)
        services.escalation_path_set(actor=user, program=program, levels=levels)
        levels_now, built_in = selectors.path_in_force(program)
        return Response(_path_data(levels_now, built_in=built_in))
