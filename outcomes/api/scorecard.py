"""The partnership scorecard over REST: the caller's programs, grouped by sponsor, each KPI
against its target, and each sponsor's overall figures computed from the rows."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes import scorecard
from outcomes.api.kpis import (
    PERIOD_PARAMETERS,
    Figure,
    KpiFigureSerializer,
    PeriodSerializer,
    period_from_query,
)
from outcomes.periods import Period
from portal.api.authentication import api_user
from portal.api.schema import error_responses


def _figures(figures: list[scorecard.Figure], period: Period) -> Any:
    shown = [Figure(figure.value, period, figure.target) for figure in figures]
    return KpiFigureSerializer(shown, many=True).data


class ScorecardProgramSerializer(serializers.Serializer):
    code = serializers.CharField(source="program.code")
    name = serializers.CharField(source="program.name")
    kpis = serializers.SerializerMethodField(help_text="Every KPI against the program's target.")

    @extend_schema_field(KpiFigureSerializer(many=True))
    def get_kpis(self, card: scorecard.ProgramCard) -> Any:
        return _figures(card.figures, self.context["period"])


class ScorecardSponsorSerializer(serializers.Serializer):
    sponsor = serializers.CharField(source="sponsor.slug")
    name = serializers.CharField(source="sponsor.name")
    overall = serializers.SerializerMethodField(
        help_text="Each KPI over all of the sponsor's programs you may see, from the records "
        "themselves (not an average of the programs' figures); no target."
    )
    programs = ScorecardProgramSerializer(many=True)

    @extend_schema_field(KpiFigureSerializer(many=True))
    def get_overall(self, card: scorecard.SponsorCard) -> Any:
        return _figures(card.overall, self.context["period"])


class ScorecardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    sponsors = ScorecardSponsorSerializer(many=True)


class ScorecardView(generics.GenericAPIView):
    serializer_class = ScorecardSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Get the partnership scorecard",
        tags=["kpis"],
        description=(
            "Every program you may see (terminated ones aside), grouped by sponsor: each KPI "
            "against the target agreed at the program's kick-off, and each sponsor's overall "
            "figures. A sponsor's token sees its own sponsor only; CDMO leadership sees every "
            "sponsor. A period that cannot be reported on is a 400 naming `key`."
        ),
        parameters=PERIOD_PARAMETERS,
        responses={200: ScorecardSerializer, **error_responses(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        user = api_user(request)
        period = period_from_query(request)
        cards = scorecard.sponsor_cards(scorecard.scorecard_programs(user), period, user)
        body = {"period": period, "sponsors": cards}
        return Response(ScorecardSerializer(body, context={"period": period}).data)
