"""How long a signed-in session lasts (EU GMP Annex 11 §12.1, 21 CFR 11.10(d)).

A session ends after SESSION_IDLE_SECONDS without a request (idle), after
SESSION_ABSOLUTE_SECONDS since sign-in whatever the activity (absolute), and at once when its
account is closed (`portal.account_state`: deactivated, or past its access end date). The end is
audited once ("session ended: ..."), the session is flushed, and the browser is sent to the
sign-in page with a message; an HTMX request gets an `HX-Redirect` header, so that the whole page
goes to the sign-in page instead of a sign-in form inside a fragment.

No query of its own: the account state reads `request.user.membership`, which the pages load
anyway, and the session is written only when its last-seen stamp is a minute old.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url

from portal import account_state, auth_events
from portal.models import AuditEntry

STARTED = "portal_session_started"
SEEN = "portal_session_seen"
TOUCH_EVERY = 60  # seconds: the idle clock's resolution, and at most one session write a minute

IDLE = "idle"
ABSOLUTE = "absolute"
CLOSED = "account closed"
MESSAGES = {
    IDLE: "You were signed out after {minutes} minutes without activity. Sign in again.",
    ABSOLUTE: "You were signed out: a session lasts at most {hours} hours. Sign in again.",
    CLOSED: "You were signed out: {why}.",
}


def why_ended(request: HttpRequest, now: float) -> tuple[str, str]:
    """(kind, detail) of why the session must end now, or ("", "")."""
    closed = account_state.closed_because(request.user)  # type: ignore[arg-type]
    if closed:
        return CLOSED, closed
    return expired(request.session, now), ""


def expired(session: SessionBase, now: float) -> str:
    """IDLE or ABSOLUTE when the session is past that limit at `now`, else ""."""
    seen = session.get(SEEN)
    if seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
        return IDLE
    started = session.get(STARTED)
    if started is not None and now - started > settings.SESSION_ABSOLUTE_SECONDS:
        return ABSOLUTE
    return ""


class SessionLimitsMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        kind, detail = why_ended(request, now)
        if kind:
            return self._end(request, kind, detail)
        session = request.session
        if STARTED not in session:
            session[STARTED] = now
        if now - session.get(SEEN, 0) >= TOUCH_EVERY:
            session[SEEN] = now
        return self.get_response(request)

    def _end(self, request: HttpRequest, kind: str, detail: str) -> HttpResponse:
        user = request.user
        auth_events.record(
            action=AuditEntry.Action.SESSION_ENDED,
            account=user,  # type: ignore[arg-type]
            actor=None,
            request=request,
            details={"ended": [None, kind]},
            reason=f"Session ended: {kind}{f' ({detail})' if detail else ''}.",
        )
        logout(request)
        messages.warning(
            request,
            MESSAGES[kind].format(
                minutes=settings.SESSION_IDLE_SECONDS // 60,
                hours=settings.SESSION_ABSOLUTE_SECONDS // 3600,
                why=detail,
            ),
        )
        target = resolve_url(settings.LOGIN_URL)
        if request.method == "GET" and not request.headers.get("HX-Request"):
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
