"""OpenAPI pieces: the token scheme as clients must send it, and the documented error answers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
)
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from portal.api.serializers import ErrorSerializer

# Every API view documents its error answers from here (`error_responses`), each in the one
# error shape (`ErrorSerializer`); `portal.api.exceptions` builds the bodies and
# `portal.errors` says which refusal is which.
ERROR_DESCRIPTIONS = {
    400: (
        "Invalid input (`error.code` is `invalid`), cross-field rules included (e.g. awareness "
        "before occurrence, a date out of range): `error.fields` names each field at fault, "
        "`non_field_errors` when no single field is. Nothing was changed."
    ),
    401: "No credentials, or an invalid or revoked token.",
    403: (
        "You can see this record but may not do this (`error.code` is `permission_denied`), "
        "e.g. a step reserved to QA of the program or to the sponsor lead, or signing with an "
        "API token; a refusal by segregation of duties has its own code (`extension_own_"
        "request`: the requester of an extension cannot approve it)."
    ),
    404: (
        "No such record or page, or not one you may see (`error.code` is `not_found`): "
        "another sponsor's record is never a 403."
    ),
    409: (
        "The input is valid but the record's current state refuses it (`error.code` is "
        "`conflict`): a transition not allowed from its status, a decision already taken, a "
        "stale version. Reload the record before trying again."
    ),
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
}


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """Replaces drf-spectacular's generic token scheme with one that says where keys come from."""

    target_class = "portal.api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Send `Authorization: Token <key>`. A sponsor lead creates keys under "
                "Settings → API tokens (an operator can run `manage.py create_api_token`); "
                "a key is shown once and a revoked key gets 401 at once."
            ),
        }


# Some character that is neither whitespace nor NUL: what a non-blank text field accepts.
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


class StrictSerializerScheme(OpenApiSerializerExtension):
    """Input serializers refuse unknown fields and blank or NUL-bearing text; the schema says
    so, so that a client (or the fuzzer) can know a valid body from an invalid one."""

    target_class = "portal.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        properties = schema.get("properties", {})
        for name, field in self.target.fields.items():
            text = isinstance(field, serializers.CharField) and not field.allow_blank
            if text and name in properties and "pattern" not in properties[name]:
                properties[name]["pattern"] = NOT_BLANK_PATTERN
        return {**schema, "additionalProperties": False}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error answers an operation can give, each in the one error shape."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


def program_code_parameter(pattern: str) -> OpenApiParameter:
    return OpenApiParameter(
        "code",
        str,
        OpenApiParameter.PATH,
        description="The program's code, e.g. `HLX-101`.",
        pattern=pattern,
    )


CONDITIONAL_PATHS = ("/api/v1/programs/{code}/status/",)
NOT_MODIFIED = (
    "Not Modified: the `If-None-Match` you sent still names the current answer (no body). "
    "Every list and the status send an `ETag`; send it back to ask again cheaply."
)


def conditional_answers(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular post-processing: every list (it takes `updated_after`) and the status
    answer 304 to a current `If-None-Match` and 400 to a garbled one or a bad moment."""
    for path, operations in result.get("paths", {}).items():
        read = operations.get("get")
        if read is None:
            continue
        names = {parameter.get("name") for parameter in read.get("parameters", [])}
        if "updated_after" not in names and path not in CONDITIONAL_PATHS:
            continue
        responses = read.setdefault("responses", {})
        responses.setdefault("304", {"description": NOT_MODIFIED})
        responses.setdefault(
            "400",
            {
                "description": ERROR_DESCRIPTIONS[400],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
    return result
