"""The caller's organisation's people and invitations over REST, for a sponsor lead (or a
CDMO administrator, for the CDMO). Like the rest of the API, writes are POSTs: create on the
collection, one path per action (revoke). The invitation link is never in an answer: it goes
to the invitee by email only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from people import selectors
from people.models import Invitation
from people.services import common, invitations
from portal.api.authentication import api_user
from portal.api.conditional import ConditionalList
from portal.api.schema import error_responses
from portal.api.serializers import DateField, StrictLineField, StrictSerializer
from portal.errors import Invalid, NotAllowed
from portal.models import Membership, Organisation, User
from programs.models import Program

TAGS = ["people"]
MAX_ID = 2**63 - 1
MAX_PROGRAMS = 200
UNKNOWN_PROGRAMS = "Unknown programs of {organisation}: {codes}."

ID = OpenApiParameter(
    "id",
    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    OpenApiParameter.PATH,
    description="The invitation's id.",
)


class GrantsMixin(serializers.Serializer):
    programs = serializers.SerializerMethodField(
        help_text="Codes of the programs granted; empty when all programs are seen."
    )

    def get_programs(self, obj: Membership | Invitation) -> list[str]:
        return [] if obj.all_programs else sorted(p.code for p in obj.programs.all())


class PersonOutSerializer(GrantsMixin):
    id = serializers.IntegerField(read_only=True, help_text="The membership's id.")
    email = serializers.EmailField(source="user.email", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    role = serializers.ChoiceField(Membership.Role.choices, read_only=True)
    all_programs = serializers.BooleanField(read_only=True)
    access_ends_on = serializers.DateField(read_only=True, allow_null=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    last_login = serializers.DateTimeField(
        source="user.last_login", read_only=True, allow_null=True
    )


class InvitationOutSerializer(GrantsMixin):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(Membership.Role.choices, read_only=True)
    all_programs = serializers.BooleanField(read_only=True)
    access_ends_on = serializers.DateField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(Invitation.Status.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class InvitationInSerializer(StrictSerializer):
    email = StrictLineField(max_length=254, help_text="The invitee's work email.")
    role = serializers.ChoiceField(Membership.Role.choices)
    all_programs = serializers.BooleanField(
        required=False, default=True, help_text="Sees every program of the organisation."
    )
    programs = serializers.ListField(
        child=StrictLineField(max_length=20),
        required=False,
        default=list,
        max_length=MAX_PROGRAMS,
        help_text="Program codes granted when `all_programs` is false.",
    )
    access_ends_on = DateField(required=False, allow_null=True, default=None)


def _organisation(request: Request) -> tuple[User, Organisation]:
    """The caller's own organisation, if they manage its people; 403 otherwise."""
    user = api_user(request)
    membership = getattr(user, "membership", None)
    organisation = membership.organisation if membership is not None else None
    managed = selectors.organisations_managed(user)
    if organisation is None or not managed.filter(pk=organisation.pk).exists():
        raise NotAllowed(common.NOT_PEOPLE_MANAGER)
    return user, organisation


def _programs(organisation: Organisation, codes: list[str]) -> list[Program]:
    found = list(Program.objects.filter(sponsor=organisation, code__in=set(codes)))
    unknown = sorted(set(codes) - {p.code for p in found})
    if unknown:
        raise Invalid(
            UNKNOWN_PROGRAMS.format(organisation=organisation, codes=", ".join(unknown)),
            field="programs",
        )
    return found


class PeopleListView(ConditionalList, generics.GenericAPIView):
    serializer_class = PersonOutSerializer
    filter_backends = []

    @extend_schema(
        summary="List your organisation's people",
        tags=TAGS,
        description="Every member with role, program grants, end date and status. For a sponsor "
        "lead (a CDMO administrator for the CDMO); anyone else gets a 403.",
        responses={200: PersonOutSerializer(many=True), **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        _, organisation = _organisation(request)
        page = self.paginate_queryset(selectors.people_of(organisation))
        return self.get_paginated_response(PersonOutSerializer(page, many=True).data)


class InvitationListView(ConditionalList, generics.GenericAPIView):
    serializer_class = InvitationOutSerializer
    filter_backends = []

    @extend_schema(
        summary="List your organisation's pending invitations",
        tags=TAGS,
        responses={200: InvitationOutSerializer(many=True), **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        _, organisation = _organisation(request)
        page = self.paginate_queryset(selectors.invitations_of(organisation))
        return self.get_paginated_response(InvitationOutSerializer(page, many=True).data)

    @extend_schema(
        summary="Invite someone to your organisation",
        tags=TAGS,
        description="The link goes to the invitee by email (single use, valid 7 days). A "
        "malformed or foreign-domain address, a role you may not give or an unknown program is "
        "a 400 naming the field.",
        request=InvitationInSerializer,
        responses={201: InvitationOutSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        user, organisation = _organisation(request)
        serializer = InvitationInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        programs = _programs(organisation, data.pop("programs"))
        invitation, _ = invitations.invitation_create(
            actor=user, organisation=organisation, programs=programs, **data
        )
        return Response(InvitationOutSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeView(generics.GenericAPIView):
    serializer_class = InvitationOutSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Revoke a pending invitation",
        tags=TAGS,
        description="Its link stops working at once. An invitation no longer pending is a 409.",
        parameters=[ID],
        request=None,
        responses={200: InvitationOutSerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user, organisation = _organisation(request)
        invitation = selectors.get_invitation(organisation, id)
        invitation = invitations.invitation_revoke(actor=user, invitation=invitation)
        return Response(InvitationOutSerializer(invitation).data)
