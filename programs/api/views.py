"""Programs over REST: the list a user may see, and one program by its code."""

from __future__ import annotations

import re
from typing import Any, cast

from django.core.validators import RegexValidator
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics

from portal.access import Grant
from portal.api.authentication import api_user
from portal.api.conditional import ConditionalList
from portal.api.schema import error_responses, program_code_parameter
from portal.models import User
from programs.api.serializers import ProgramSerializer
from programs.models import Program
from programs.selectors import program_grant, program_list, program_versions

_CODE_VALIDATOR: RegexValidator = next(
    validator
    for validator in Program._meta.get_field("code").validators
    if isinstance(validator, RegexValidator)
)
_CODE_RE = cast(re.Pattern[str], _CODE_VALIDATOR.regex)
CODE_PATTERN = _CODE_RE.pattern
CODE_PARAMETER = program_code_parameter(CODE_PATTERN)
NO_SUCH_PROGRAM = "No such program."


def program_grant_from_url(user: User, code: str) -> Grant[Program]:
    """The program named in the URL and what this user may do with it, if they may see it.
    A string that cannot be a code is a 404 before it reaches the database (PostgreSQL
    refuses a NUL in a query)."""
    if not _CODE_RE.fullmatch(code):
        raise exceptions.NotFound(NO_SUCH_PROGRAM)
    return program_grant(user, code)


def program_from_url(user: User, code: str) -> Program:
    """The program named in the URL, for read-only views."""
    return program_grant_from_url(user, code).obj


class ProgramList(ConditionalList):
    """A list of programs or of records under them: its ETag is made of the versions of the
    programs it covers, the one in the URL or all the user may see, so an unchanged list is a
    304 from one query after authentication."""

    kwargs: dict[str, Any]

    def list_versions(self) -> list[tuple[int, int]]:
        user = api_user(self.request)
        code = self.kwargs.get("code")
        if code is None:
            return program_versions(user=user)
        return program_version_from_url(user, code)


def program_version_from_url(user: User, code: str) -> list[tuple[int, int]]:
    """[(id, version)] of the program named in the URL if the user may see it, else []: what a
    conditional answer about one program is keyed on, in one query."""
    if not _CODE_RE.fullmatch(code):
        return []  # not a code: the view answers its 404
    return program_versions(user=user, code=code)


@extend_schema_view(
    get=extend_schema(
        summary="List programs",
        description="The programs you may see, ordered by code. A sponsor sees its own only.",
        responses={200: ProgramSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
)
class ProgramListView(ProgramList, generics.ListAPIView):
    serializer_class = ProgramSerializer
    filterset_fields = ["status", "phase", "health"]

    def get_queryset(self) -> QuerySet[Program]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Program.objects.none()
        return program_list(user=api_user(self.request))


@extend_schema_view(
    get=extend_schema(
        summary="Get a program",
        parameters=[CODE_PARAMETER],
        responses={200: ProgramSerializer, **error_responses(401, 404, 429)},
    )
)
class ProgramDetailView(generics.RetrieveAPIView):
    serializer_class = ProgramSerializer

    def get_object(self) -> Program:
        return program_from_url(api_user(self.request), self.kwargs["code"])
