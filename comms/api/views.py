"""A program's updates over REST. The status endpoint that composes them (and the KPIs) is
`outcomes.api.kpis`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from comms import selectors
from comms.api.serializers import UpdateCreateSerializer, UpdateSerializer
from comms.services import common, updates
from portal.access import Action
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from programs.api.views import CODE_PARAMETER, ProgramList, program_from_url


class ProgramUpdateListView(ProgramList, generics.GenericAPIView):
    serializer_class = UpdateSerializer
    filter_backends = []

    @extend_schema(
        summary="List a program's updates",
        tags=["updates"],
        description="The updates you may see, newest first.",
        parameters=[CODE_PARAMETER],
        responses={200: UpdateSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        page = self.paginate_queryset(selectors.update_list(user=user, program=program))
        return self.get_paginated_response(UpdateSerializer(page, many=True).data)

    @extend_schema(
        summary="Post an update",
        tags=["updates"],
        description=(
            "For the program's CDMO team only. A `sponsor` update is published at once and "
            "the sponsor's people are notified; an `internal` one stays a CDMO draft. "
            "Invalid input is a 400 naming the fields; anyone else who sees the program gets "
            "a 403."
        ),
        parameters=[CODE_PARAMETER],
        request=UpdateCreateSerializer,
        responses={201: UpdateSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        common.require(user, Action.POST_UPDATE, program, updates.NOT_PROGRAM_TEAM)
        serializer = UpdateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update = updates.update_post(actor=user, program=program, **serializer.validated_data)
        return Response(UpdateSerializer(update).data, status=status.HTTP_201_CREATED)
