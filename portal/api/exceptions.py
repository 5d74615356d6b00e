"""One JSON error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from portal.api.conditional import Answered
from portal.errors import ServiceError

INVALID_INPUT = "The request has invalid fields."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field name → its problems, as the error shape promises: a nested serializer's errors
    are named by their path (`levels[0].window`), never nested."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int) or (prefix and str(key).isdigit()):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            found.update(_flatten(value, name))
        return found
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        found = {}
        for index, item in enumerate(detail):
            found.update(_flatten(item, f"{prefix}[{index}]"))
        return found
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(item) for item in items]}


def _body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Answered):  # not an error: answered from the tag (a 304, a kept body)
        return exc.response
    if isinstance(exc, ServiceError):
        # A service's refusal: 400 for invalid input, 409 for a conflict with the record's
        # current state, 403 for a user who may see but not do (portal/errors.py).
        fields = {exc.field: [exc.message]} if exc.field else {}
        if exc.status_code == status.HTTP_400_BAD_REQUEST and not fields:
            fields = {"non_field_errors": [exc.message]}
        return Response(_body(exc.code, exc.message, fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        # A model's full_clean() in a service: the serializer should have caught it first,
        # but if it didn't the client still gets a 400 naming the field, never a 500.
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            _body("invalid", INVALID_INPUT, _flatten(fields)), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = _body("invalid", INVALID_INPUT, _flatten(detail))
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = _body(code, str(exc.detail))
    return response


NO_SUCH_ENDPOINT = "No such API endpoint."


@extend_schema(exclude=True)
class EndpointNotFound(APIView):
    """The last route under /api/v1/: an unknown path (or a path parameter of the wrong type,
    such as `comments/abc/`) gets the JSON error shape, not Django's HTML 404 page."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def refuse(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message = NO_SUCH_ENDPOINT
        if not request.path.endswith("/") and _resolves(request.path + "/"):
            message = f"{NO_SUCH_ENDPOINT} API paths end with a slash: {request.path}/"
        raise exceptions.NotFound(message)

    get = post = put = patch = delete = options = refuse


def _resolves(path: str) -> bool:
    try:
        return getattr(resolve(path).func, "view_class", None) is not EndpointNotFound
    except Resolver404:
        return False
