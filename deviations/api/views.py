"""Deviations over REST: list and filter, one by reference, log (CDMO program team),
acknowledge (the sponsor), lifecycle moves (same table as the pages) and the audit trail."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from deviations import selectors
from deviations.api.serializers import (
    AuditRowSerializer,
    CAPACompleteSerializer,
    CAPACreateSerializer,
    CAPASerializer,
    DeviationCreateSerializer,
    DeviationDetailSerializer,
    DeviationSerializer,
    DeviationTransitionSerializer,
    QualityAgreementSerializer,
    RootCauseCreateSerializer,
    RootCauseSerializer,
)
from deviations.models import Deviation, QualityAgreement
from deviations.services import capa as capa_services
from deviations.services import investigation, lifecycle, reporting
from portal import clock
from portal.access import Grant
from portal.api.authentication import api_user
from portal.api.conditional import ConditionalList
from portal.api.schema import error_responses
from portal.models import ApiToken, User
from portal.record_audit import audit_trail_for
from portal.signatures import signatures_with_status
from programs.api.views import ProgramList, program_from_url
from programs.selectors import cdmo_people

REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The deviation's reference, e.g. `DEV-2025-0001`.",
    pattern=r"^DEV-\d{4}-\d{4,}$",
)
NO_SUCH_DEVIATION = "No such deviation."


class DeviationFilter(django_filters.FilterSet):
    program = django_filters.CharFilter(
        field_name="program__code", help_text="A program's code, e.g. `HLX-101`."
    )
    status = django_filters.ChoiceFilter(choices=Deviation.Status.choices)
    classification = django_filters.ChoiceFilter(choices=Deviation.Classification.choices)

    class Meta:
        model = Deviation
        fields = ["program", "status", "classification"]


def _deviation(user: User, reference: str) -> Grant[Deviation]:
    """The deviation and what the user may do with it; a string that cannot be a reference is
    a 404 before it reaches the database."""
    if len(reference) > 16 or not reference.isprintable():
        raise exceptions.NotFound(NO_SUCH_DEVIATION)
    return selectors.deviation_grant(user, reference)


def _detail(user: User, reference: str) -> Response:
    """The deviation as it is now, with the moves the user may make."""
    grant = selectors.deviation_grant(user, reference)
    return Response(DeviationDetailSerializer(grant.obj, context={"held": grant.held}).data)


def _by_token(request: Request) -> bool:
    return isinstance(request.auth, ApiToken)


@extend_schema_view(
    get=extend_schema(
        summary="List deviations",
        tags=["deviations"],
        description="The deviations you may see, most recent awareness first. A sponsor sees "
        "its own programs' only.",
        responses={200: DeviationSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
)
class DeviationListView(ProgramList, generics.ListCreateAPIView):
    serializer_class = DeviationSerializer
    filterset_class = DeviationFilter

    def time_key(self) -> Any:
        """The date, and the notification windows run out: a lapse changes a row unwritten."""
        user = api_user(self.request)
        return [clock.site_today(), selectors.lapsed_notification_windows(user=user)]

    def get_queryset(self) -> QuerySet[Deviation]:
        if getattr(self, "swagger_fake_view", False):
            return Deviation.objects.none()
        return selectors.deviation_list(user=api_user(self.request))

    @extend_schema(
        summary="Log a deviation",
        tags=["deviations"],
        description="For the program's CDMO team (or QA). The sponsor is notified at once and "
        "the notification clock runs from `aware_at`. Awareness before `occurred_at` or in the "
        "future is a 400 naming `aware_at`.",
        request=DeviationCreateSerializer,
        responses={
            201: DeviationDetailSerializer,
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        serializer = DeviationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        program = program_from_url(user, data.pop("program"))
        deviation = reporting.deviation_log(actor=user, program=program, **data)
        response = _detail(user, deviation.reference)
        response.status_code = status.HTTP_201_CREATED
        return response


class DeviationDetailView(generics.GenericAPIView):
    serializer_class = DeviationDetailSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get a deviation",
        tags=["deviations"],
        parameters=[REFERENCE_PARAMETER],
        responses={200: DeviationDetailSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, reference: str) -> Response:
        grant = _deviation(api_user(request), reference)
        return Response(DeviationDetailSerializer(grant.obj, context={"held": grant.held}).data)


class DeviationAcknowledgeView(generics.GenericAPIView):
    serializer_class = DeviationDetailSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Acknowledge a deviation",
        tags=["deviations"],
        description="For a user of the program's own sponsor, once. A second one is a 409. "
        "Also after closure: the acknowledgement is recorded beside the signed record, so the "
        "closure's signature stays current.",
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={
            200: DeviationDetailSerializer,
            **error_responses(401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        reporting.deviation_acknowledge(actor=user, deviation=_deviation(user, reference).obj)
        return _detail(user, reference)


class DeviationTransitionView(generics.GenericAPIView):
    serializer_class = DeviationDetailSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Move a deviation along its lifecycle",
        tags=["deviations"],
        description=(
            "The same table of moves and roles as the portal: open → investigating (the "
            "program team, operations staff or QA), investigating → pending CAPA (QA), pending "
            "CAPA → closed (QA, signed), any open status → cancelled (QA, reason, signed), "
            "closed or cancelled → investigating (QA, reason, signed: reopens a signed, locked "
            "deviation; its earlier signatures then show `current: false`). QA means QA of the "
            "deviation's program: a member with the QA role assigned to it as QA, or QA across "
            "the site; operations staff never sign. Signing steps need the password of a "
            "signed-in session: with a token they are a 403, as is a move your role may not "
            "make (a refused attempt with a password is audited). A missing reason or password, "
            "or a wrong password, is a 400. A stale "
            "`expected_version`, a move the table does not allow from the current status, or "
            "open CAPA actions are a 409."
        ),
        parameters=[REFERENCE_PARAMETER],
        request=DeviationTransitionSerializer,
        responses={
            200: DeviationDetailSerializer,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        grant = _deviation(user, reference)
        serializer = DeviationTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.deviation_transition(
            actor=user,
            deviation=grant.obj,
            via_token=_by_token(request),
            **serializer.validated_data,
        )
        return _detail(user, reference)


class DeviationAuditView(generics.GenericAPIView):
    serializer_class = AuditRowSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get a deviation's audit trail",
        tags=["deviations"],
        description="Every change to the deviation, its root causes, CAPA and extensions, "
        "oldest first: who, when, old and new values, why, and signatures (each with whether "
        "it is still current).",
        parameters=[REFERENCE_PARAMETER],
        responses={200: AuditRowSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        deviation = _deviation(user, reference).obj
        rows = audit_trail_for(deviation, user=user, related=selectors.audit_parts(deviation))
        current = {item.signature.pk for item in signatures_with_status(deviation) if item.current}
        return Response(
            AuditRowSerializer(rows, many=True, context={"current_signatures": current}).data
        )


NO_SUCH_CAPA = "No such CAPA action."
NO_SUCH_OWNER = "No CDMO person with that email."
NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The CAPA's number, 1, 2, …"
)


class DeviationCAPAListView(ProgramList, generics.GenericAPIView):
    serializer_class = CAPASerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="List a deviation's CAPA actions",
        tags=["deviations"],
        parameters=[REFERENCE_PARAMETER],
        responses={200: CAPASerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, reference: str) -> Response:
        deviation = _deviation(api_user(request), reference).obj
        return Response(CAPASerializer(deviation.capas.all(), many=True).data)

    @extend_schema(
        summary="Add a CAPA action",
        tags=["deviations"],
        description="For QA or the program's CDMO team, while the deviation is open (409 "
        "once it is closed or cancelled: it is signed and locked until QA reopens it). Without "
        "`due_date` the action is due at the end of the quality agreement's CAPA window, "
        "counted on the site clock from now; a later `due_date` needs a `due_justification` "
        "(400 naming `due_date` without one).",
        parameters=[REFERENCE_PARAMETER],
        request=CAPACreateSerializer,
        responses={201: CAPASerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        deviation = _deviation(user, reference).obj
        serializer = CAPACreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        owner = cdmo_people().filter(email__iexact=data.pop("owner")).first()
        if owner is None:
            raise exceptions.ValidationError({"owner": [NO_SUCH_OWNER]})
        capa = capa_services.capa_add(actor=user, deviation=deviation, owner=owner, **data)
        return Response(CAPASerializer(capa).data, status=status.HTTP_201_CREATED)


class DeviationCAPACompleteView(generics.GenericAPIView):
    serializer_class = CAPASerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Mark a CAPA action done",
        tags=["deviations"],
        description="For its owner, QA or the program's CDMO team, once; with how its "
        "effectiveness was checked. 409 once the deviation is closed or cancelled (signed and "
        "locked until QA reopens it).",
        parameters=[REFERENCE_PARAMETER, NUMBER_PARAMETER],
        request=CAPACompleteSerializer,
        responses={200: CAPASerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str, number: int) -> Response:
        user = api_user(request)
        deviation = _deviation(user, reference).obj
        capa = next((c for c in deviation.capas.all() if c.number == number), None)
        if capa is None:
            raise exceptions.NotFound(NO_SUCH_CAPA)
        serializer = CAPACompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        capa = capa_services.capa_complete(actor=user, capa=capa, **serializer.validated_data)
        return Response(CAPASerializer(capa).data)


class DeviationRootCauseListView(generics.GenericAPIView):
    serializer_class = RootCauseSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Add a root cause",
        tags=["deviations"],
        description="For QA or the program's CDMO team, while the deviation is open (409 once "
        "it is closed or cancelled: signed and locked until QA reopens it).",
        parameters=[REFERENCE_PARAMETER],
        request=RootCauseCreateSerializer,
        responses={201: RootCauseSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        user = api_user(request)
        deviation = _deviation(user, reference).obj
        serializer = RootCauseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cause = investigation.root_cause_add(
            actor=user, deviation=deviation, **serializer.validated_data
        )
        return Response(RootCauseSerializer(cause).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="List quality agreement versions",
        tags=["deviations"],
        description="Every version of the quality agreements you may see (the CDMO: all; a "
        "sponsor: its own), by sponsor and program, newest version first. A deviation's clocks "
        "use the version in force when they started.",
        responses={
            200: QualityAgreementSerializer(many=True),
            **error_responses(400, 401, 404, 429),
        },
    )
)
class QualityAgreementListView(ConditionalList, generics.ListAPIView):
    serializer_class = QualityAgreementSerializer

    def get_queryset(self) -> QuerySet[QualityAgreement]:
        if getattr(self, "swagger_fake_view", False):
            return QualityAgreement.objects.none()
        visible = QualityAgreement.objects.visible_to(api_user(self.request))
        return visible.select_related("sponsor", "program", "made_by").order_by(
            "sponsor__name", "program_id", "-version"
        )
