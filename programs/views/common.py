"""How every page of the programs app looks a program up and answers a form post.

One view serves a page and, for an HTMX request, the fragment that asked (`?fragment=`).
Forms post with HTMX: a valid post answers with the form's fragment, fresh, and an
`HX-Trigger` that makes the live fragments re-fetch; an invalid one answers 422 with the
errors inline. Without JavaScript the same forms post, redirect and flash. Permission is the
services' (`portal.access`); pages read `grant.can` only to show or hide controls.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import trigger_client_event

from portal.access import Grant
from portal.errors import NotAllowed, ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from programs import selectors
from programs.models import Program

TIMELINE_CHANGED = "timeline-changed"
COSTS_CHANGED = "costs-changed"
_CODE = cast(
    re.Pattern[str],
    next(
        v.regex for v in Program._meta.get_field("code").validators if isinstance(v, RegexValidator)
    ),
)


def program_grant(request: PortalRequest, code: str) -> Grant[Program]:
    """The program in the URL and what this user may do with it, if they may see it; a string
    that cannot be a code is a 404 before it reaches the database."""
    if not _CODE.fullmatch(code):
        raise Http404("No such program.")
    return selectors.program_grant(request.user, code)


def fragment(request: PortalRequest, allowed: set[str]) -> str | None:
    name = request.GET.get("fragment")
    return name if request.htmx and name in allowed else None


def run(form: forms.Form, action: Callable[..., Any], **kwargs: Any) -> Any:
    """Validate, then call the service; a broken rule becomes a form error. A refusal of
    permission stays a 403."""
    if not form.is_valid():
        return None
    try:
        return action(**kwargs, **form.cleaned_data)
    except NotAllowed:
        raise
    except ServiceError as exc:
        add_service_error(form, exc)
        return None


def answer(
    request: PortalRequest,
    *,
    form: forms.Form,
    template: str,
    partial: str,
    partial_context: dict[str, Any],
    page_context: Callable[[], dict[str, Any]],
    done: str,
    trigger: str,
    next_url: str,
) -> HttpResponse:
    """The one way a form post answers: 422 with the errors, or the fresh fragment."""
    if form.errors:
        if request.htmx:
            return render(request, f"{template}#{partial}", partial_context, status=422)
        return render(request, template, {**page_context(), **partial_context}, status=422)
    if not request.htmx:
        messages.success(request, done)
        return redirect(next_url)
    response = render(request, f"{template}#{partial}", {**partial_context, "done": done})
    return trigger_client_event(response, trigger)
