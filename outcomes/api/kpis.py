"""A program's KPIs over REST: each figure with its definition, period and target, the records
behind one figure, and the program's status with its headline KPIs.

The status endpoint lives here, not in comms, because it now composes the KPIs and comms may
not import outcomes (the layers of `make lint`); its path and earlier fields are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from comms import selectors as comms_selectors
from comms.api.serializers import ProgramStatusSerializer
from comms.dashboard import overview_expiry, program_overview
from outcomes import kpis, periods
from outcomes.periods import Period, PeriodError, PeriodKind
from portal.api import conditional
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.models import User
from programs import kpi_catalogue
from programs.api.views import CODE_PARAMETER, program_from_url, program_version_from_url
from programs.kpi_catalogue import Kpi
from programs.models import KpiTarget, Program

LATEST_UPDATES = 5
# The status body is built once per program version and audience and kept until the program
# changes or time moves it (`until`). Raise the number when the body changes shape.
STATUS_KIND = "status-1"
NO_SUCH_KPI = "No such KPI."

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        enum=list(PeriodKind.values),
        description="The kind of period: a calendar `month`, a calendar `quarter` or the "
        "`rolling12` months. Default: rolling12.",
    ),
    OpenApiParameter(
        "key",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Which period of that kind: `2026-11` (month), `2026-Q4` (quarter), "
        "`12m-2026-11` or `2026-11` (the 12 months to November 2026). Default: the current "
        "one. A period not yet started, or one before the retained records, is a 400 naming "
        "`key`.",
        examples=[
            OpenApiExample("A month", value="2026-11"),
            OpenApiExample("A quarter", value="2026-Q4"),
            OpenApiExample("Rolling 12 months", value="12m-2026-11"),
        ],
    ),
]
KPI_PARAMETER = OpenApiParameter(
    "kpi",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(Kpi.values),
    description="The KPI's key (see `programs/{code}/kpis/`).",
)


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PeriodKind.choices, required=False)
    key = serializers.CharField(required=False, allow_blank=True, max_length=20)


def period_from_query(request: Request) -> Period:
    """The period the query names; a 400 naming `period` or `key` when it cannot be used."""
    query = PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    kind = query.validated_data.get("period") or PeriodKind.ROLLING_12
    try:
        return periods.parse(kind, query.validated_data.get("key"))
    except PeriodError as problem:
        raise serializers.ValidationError({"key": [str(problem)]}) from None


class PeriodSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PeriodKind.choices)
    key = serializers.CharField(help_text="As the `key` query parameter takes it.")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    start = serializers.DateField(help_text="The first day (site calendar).")
    end = serializers.DateField(source="last_day", help_text="The last day, inclusive.")


class KpiFigureSerializer(serializers.Serializer):
    """One KPI of a program over a period, with its definition and its target."""

    key = serializers.CharField(source="value.kpi")
    name = serializers.CharField(source="value.definition.name")
    definition = serializers.CharField(
        source="value.definition.definition", help_text="What the figure counts, exactly."
    )
    unit = serializers.ChoiceField(choices=kpi_catalogue.Unit.choices, source="value.unit")
    higher_is_better = serializers.BooleanField(source="value.definition.higher_is_better")
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        source="value.value",
        allow_null=True,
        help_text="Null when there was nothing to measure in the period (never a zero).",
    )
    numerator = serializers.IntegerField(
        source="value.numerator",
        allow_null=True,
        help_text="The records that met the definition; null for a median.",
    )
    denominator = serializers.IntegerField(
        source="value.denominator", help_text="The records counted (the drill-down lists them)."
    )
    period = PeriodSerializer()
    target = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Agreed at the kick-off."
    )
    status = serializers.ChoiceField(choices=kpis.KpiStatus.choices)


class Figure:
    """What `KpiFigureSerializer` reads."""

    def __init__(self, value: kpis.KpiValue, period: Period, target: Decimal | None) -> None:
        self.value = value
        self.period = period
        self.target = target
        self.status = kpis.status_against(value, target)


def figures(
    program: Program, period: Period, user: User, keys: Sequence[str] | None = None
) -> list[Figure]:
    """The program's KPIs (all, or `keys`) over `period` with their targets: two queries for
    the targets and one per kind of record, whatever the data."""
    values = kpis.kpis_for(program_ids=[program.pk], period=period, kpis=keys, user=user)
    targets = dict(KpiTarget.objects.filter(program=program).values_list("kpi", "target"))
    return [Figure(value, period, targets.get(key)) for key, value in values[program.pk].items()]


class ProgramKpiListView(generics.GenericAPIView):
    serializer_class = KpiFigureSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="List a program's KPIs",
        tags=["kpis"],
        description=(
            "Every KPI of the program over the period, computed from the records: its value "
            "(null when there was nothing to measure), the records counted and those that met "
            "the definition, the definition itself, the agreed target and the status. A "
            "sponsor's figures count only records the sponsor may see."
        ),
        parameters=[CODE_PARAMETER, *PERIOD_PARAMETERS],
        responses={200: KpiFigureSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        period = period_from_query(request)
        return Response(KpiFigureSerializer(figures(program, period, user), many=True).data)


class FactSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    value = serializers.CharField()


class CountedRecordSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="batch, deviation, milestone, meeting, …")
    reference = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The record's page.")
    met = serializers.BooleanField(
        allow_null=True, help_text="Whether it met the definition; null for a median's record."
    )
    measure = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="What was measured on it, in the KPI's unit (a median's records).",
    )
    facts = serializers.SerializerMethodField(help_text="The fields that decided it.")

    @extend_schema_field(FactSerializer(many=True))
    def get_facts(self, record: kpis.CountedRecord) -> Any:
        return [{"label": label, "value": value} for label, value in record.facts]


class KpiRecordsSerializer(serializers.Serializer):
    figure = KpiFigureSerializer()
    records = CountedRecordSerializer(many=True)


class ProgramKpiRecordsView(generics.GenericAPIView):
    serializer_class = KpiRecordsSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="List the records behind one KPI",
        tags=["kpis"],
        description=(
            "Exactly the records the figure counted (as many as its denominator), each with "
            "whether it met the definition and the fields that decided it. An unknown KPI is "
            "a 404."
        ),
        parameters=[CODE_PARAMETER, KPI_PARAMETER, *PERIOD_PARAMETERS],
        responses={200: KpiRecordsSerializer, **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request, code: str, kpi: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        if kpi not in Kpi.values:
            raise exceptions.NotFound(NO_SUCH_KPI)
        period = period_from_query(request)
        (figure,) = figures(program, period, user, keys=[kpi])
        records = kpis.counted_records(program_ids=[program.pk], kpi=kpi, period=period, user=user)
        return Response(KpiRecordsSerializer({"figure": figure, "records": records}).data)


class ProgramStatusKpiSerializer(ProgramStatusSerializer):
    kpis = serializers.SerializerMethodField(
        help_text="The headline KPIs over the rolling 12 months, with their targets."
    )

    class Meta(ProgramStatusSerializer.Meta):
        fields = [*ProgramStatusSerializer.Meta.fields, "kpis"]
        read_only_fields = fields

    @extend_schema_field(KpiFigureSerializer(many=True))
    def get_kpis(self, program: Program) -> Any:
        return KpiFigureSerializer(self.context["kpis"], many=True).data


class ProgramStatusView(generics.GenericAPIView):
    serializer_class = ProgramStatusKpiSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Get a program's status",
        description=(
            "One call that answers “how is my program doing”: phase, status, health and its "
            "reason, the dedicated PM, the next milestones and the slips, open questions, the "
            "next meeting, action items, top risks, budget against committed and invoiced, "
            "kick-off progress, the latest updates you may see, and the headline KPIs over "
            "the rolling 12 months against their targets."
        ),
        parameters=[CODE_PARAMETER],
        responses={200: ProgramStatusKpiSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        conditional.requested_tags(request)  # a garbled If-None-Match is a 400 before any work
        audience = conditional.audience_of(user)
        answer = None
        for program_id, version in program_version_from_url(user, code):
            answer = conditional.kept(STATUS_KIND, program_id, version, audience)
        if answer is None:  # not kept (or no such program: the lookup answers the 404)
            program = program_from_url(user, code)
            answer = build_status(user, program)
            conditional.keep(
                STATUS_KIND, program.pk, program.version, audience, answer, answer.until
            )
        tag = conditional.entity_tag("status", conditional.asker(request), answer.digest)
        if conditional.still_fresh(request, tag):
            return conditional.not_modified(tag)
        return conditional.finish(Response(answer.body), tag)


@dataclass(frozen=True)
class StatusAnswer:
    body: dict[str, Any]
    digest: str
    until: float  # when time alone changes it (midnight, the next meeting's start)


def build_status(user: User, program: Program) -> StatusAnswer:
    latest = list(comms_selectors.update_list(user=user, program=program)[:LATEST_UPDATES])
    headline = [definition.key for definition in kpi_catalogue.headline()]
    overview = program_overview(user=user, program=program)
    context = {
        "latest_updates": latest,
        "overview": overview,
        "kpis": figures(program, periods.current(PeriodKind.ROLLING_12), user, headline),
    }
    body = ProgramStatusKpiSerializer(program, context=context).data
    until = overview_expiry(overview)
    digest = conditional.entity_tag("status-body", body)
    return StatusAnswer(body=dict(body), digest=digest, until=until.timestamp())
