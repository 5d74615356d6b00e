"""Request-scoped middleware."""

import re
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.request_context import set_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id of the portal's own, answered as `X-Request-ID`. A well-formed
    incoming `X-Request-ID` is kept beside it as the client's (echoed as `X-Client-Request-ID`
    and recorded in the audit trail under that label), never used as the request's id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        client = incoming if _SAFE_ID.match(incoming) else ""
        request_id = set_request_id(client=client)
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if client:
            response["X-Client-Request-ID"] = client
        return response


class UserTimeZoneMiddleware:
    """Times are stored in UTC and shown in the signed-in user's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = getattr(request.user, "time_zone", None)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
