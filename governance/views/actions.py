"""The action items page: filtered lists, adding one, marking one done and sharing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from governance import selectors
from governance.forms import ActionItemForm
from governance.models import ActionItem
from governance.services import actions as service
from governance.services.common import NOT_PROGRAM_TEAM
from governance.views.common import form_answer, fragment, program_grant, require
from portal import access
from portal.access import Action
from portal.errors import ServiceError
from portal.forms import submit
from portal.http import PortalRequest
from programs.models import Program

ACTION_LIMIT = 200
ACTION_FRAGMENTS = {"actions", "action-form"}
TEMPLATE = "governance/action_list.html"


def _context(request: PortalRequest, grant: access.Grant[Program], **extra: Any) -> dict[str, Any]:
    state = request.POST.get("state") or request.GET.get("state") or "open"
    if state not in selectors.ACTION_FILTERS:
        state = "open"
    items = selectors.action_item_list(user=request.user, program=grant.obj, state=state)
    return {
        "program": grant.obj,
        "grant": grant,
        "state": state,
        "filters": selectors.ACTION_FILTERS,
        # Each row with what this user may do to it (its owner may mark it done).
        "items": [
            access.Grant(obj=item, held=access.capacities(request.user, grant.obj, item))
            for item in items.order_by("due_date", "id")[:ACTION_LIMIT]
        ],
        **extra,
    }


@login_required
@vary_on_headers("HX-Request")
def action_list(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    context = _context(request, grant)
    template = TEMPLATE
    if name := fragment(request, ACTION_FRAGMENTS):
        template += f"#{name}"
    if grant.can.edit_program:
        context["form"] = ActionItemForm(program=grant.obj)
    return render(request, template, context)


@require_POST
@login_required
def action_create(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    program = grant.obj
    form = ActionItemForm(request.POST, program=program)
    submit(form, service.action_item_create, actor=request.user, program=program)
    ok = not form.errors
    context = _context(
        request, grant, form=form if not ok else ActionItemForm(program=program), saved=ok
    )
    return form_answer(
        request,
        template=TEMPLATE,
        fragment="action-form",
        context=context,
        ok=ok,
        event="actions-changed",
        redirect_to=reverse("action-list", args=[program.code]),
        success="Action item added.",
    )


def _row_answer(
    request: PortalRequest,
    grant: access.Grant[Program],
    item: ActionItem,
    error: str | None,
    success: str,
) -> HttpResponse:
    """After a button on a row: the list again (HTMX) or a redirect with a message."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect(
            reverse("action-list", args=[grant.obj.code])
            + f"?state={request.POST.get('state', 'open')}"
        )
    context = _context(request, grant, error=error)
    response = render(request, TEMPLATE + "#actions", context, status=422 if error else 200)
    return response if error else trigger_client_event(response, "actions-changed")


@require_POST
@login_required
def action_done(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    item = selectors.get_action_item_for_user(request.user, grant.obj, pk)
    row = access.Grant(obj=item, held=access.capacities(request.user, grant.obj, item))
    require(row, Action.COMPLETE_ACTION_ITEM, service.NOT_OWNER_OR_TEAM)
    error = None
    try:
        service.action_item_complete(actor=request.user, item=item)
    except ServiceError as exc:
        error = exc.message
    return _row_answer(request, grant, item, error, f"“{item.title}” marked done.")


@require_POST
@login_required
def action_share(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    item = selectors.get_action_item_for_user(request.user, grant.obj, pk)
    require(grant, Action.SHARE, NOT_PROGRAM_TEAM)
    error = None
    try:
        service.action_item_share(actor=request.user, item=item)
    except ServiceError as exc:
        error = exc.message
    return _row_answer(request, grant, item, error, f"“{item.title}” shared with the sponsor.")
