"""How long a signed-in session lasts (EU GMP Annex 11 §12.1, 21 CFR 11.10(d)).

A session ends after SESSION_IDLE_SECONDS without a request (idle), after
SESSION_ABSOLUTE_SECONDS since sign-in whatever the activity (absolute), and at once when its
account is closed (`portal.account_state`: deactivated, or past its access end date). The end is
audited once ("session ended: ..."), the session is flushed, and the browser is sent to the
sign-in page with a message; an HTMX request gets an `HX-Redirect` header, so that the whole page
goes to the sign-in page instead of a sign-in form inside a fragment.

No query of its own: the account state reads `request.user.membership`, which the session's user
brings in its own query (portal.backends.OpenAccountBackend.get_user); the clocks start on the
sign-in response, which saves the session anyway, and the session is written again only when its
last-seen stamp is a minute old. A session signed in without any response of the portal (a
test's `force_login`) has no clocks until its session is next written.
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


def stamp(session: SessionBase, now: float) -> None:
    """Start the clocks when the session is written anyway (signing in rotates and saves it,
    whichever page signs in: the sign-in page, single sign-on, allauth's), so that starting
    them costs no query of its own; then move the idle clock at most once a minute."""
    if STARTED not in session:
        if session.modified:
            session[STARTED] = now
            session[SEEN] = now
    elif now - session.get(SEEN, 0) >= TOUCH_EVERY:
        session[SEEN] = now


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
        now = time.time()
        if request.user.is_authenticated:
            kind, detail = why_ended(request, now)
            if kind:
                return self._end(request, kind, detail)
        response = self.get_response(request)
        if request.user.is_authenticated:  # signed in before, or by this very request
            stamp(request.session, now)
        return response

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
