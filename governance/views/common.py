"""What the governance pages share: the program lookup with what the user may do there, the
HTMX fragment switch and the answer to a form post."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import trigger_client_event

from portal import access
from portal.access import Action
from portal.errors import NotAllowed
from portal.http import PortalRequest
from programs.models import Program
from programs.selectors import get_program_for_user


def program_grant(request: PortalRequest, code: str) -> access.Grant[Program]:
    """The program in the URL (404 if the user may not see it) and what they may do there."""
    program = get_program_for_user(request.user, code)
    return access.Grant(obj=program, held=access.capacities(request.user, program))


def require(grant: access.Grant[Any], action: Action, message: str) -> None:
    """Refuse a post the page would not have offered (403), before reading its form. The
    service checks again: it is where permission is enforced."""
    if not grant.may(action):
        raise NotAllowed(message)


def fragment(request: PortalRequest, allowed: set[str]) -> str | None:
    name = request.GET.get("fragment")
    return name if request.htmx and name in allowed else None


def form_answer(
    request: PortalRequest,
    *,
    template: str,
    fragment: str,
    context: dict[str, Any],
    ok: bool,
    event: str,
    redirect_to: str,
    success: str,
) -> HttpResponse:
    """Answer a form post: 422 with the fragment (or page) on error; on success the fresh
    fragment plus an HX-Trigger for HTMX, or a redirect with a message without it."""
    if not ok:
        name = f"{template}#{fragment}" if request.htmx else template
        return render(request, name, context, status=422)
    if not request.htmx:
        messages.success(request, success)
        return redirect(redirect_to)
    response = render(request, f"{template}#{fragment}", context)
    return trigger_client_event(response, event)
