"""Deviation pages: the list, QA's triage queue, a deviation with its clocks, the PM's logging
form, the sponsor's acknowledgement and the lifecycle buttons. One view serves each page and
its live fragment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from deviations import selectors
from deviations.forms import (
    CAPACompleteForm,
    CAPAForm,
    DeviationLogForm,
    ExtensionApproveForm,
    ExtensionRequestForm,
    ImpactForm,
    RootCauseForm,
    TransitionForm,
)
from deviations.models import Deviation
from deviations.services import capa, extensions, investigation, lifecycle, reporting
from deviations.services.common import lots_in
from portal import access, clock
from portal.access import Action, Grant
from portal.errors import NotAllowed, ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from portal.record_audit import audit_csv_response, audit_trail_for
from portal.signatures import SignatureStatus, signatures_with_status
from programs.selectors import cdmo_people, get_program_for_user, milestone_list

FRAGMENTS = {"rows", "body"}
WORK_STEPS = ("impact", "root-cause", "capa", "capa-complete", "extension", "extension-approve")
QUEUE_ONLY_CDMO = "The triage queue is for the CDMO's quality team."


def _fragment(request: PortalRequest) -> str | None:
    name = request.GET.get("fragment")
    return name if request.htmx and name in FRAGMENTS else None


def _filters(request: PortalRequest) -> selectors.DeviationFilters:
    get = request.GET
    return selectors.DeviationFilters(
        program=get.get("program", "")[:20],
        status=get.get("status", "") if get.get("status") in Deviation.Status.values else "",
        classification=(
            get.get("classification", "")
            if get.get("classification") in Deviation.Classification.values
            else ""
        ),
        overdue=get.get("overdue") == "1",
    )


@login_required
@vary_on_headers("HX-Request")
def deviation_list(request: PortalRequest) -> HttpResponse:
    filters = _filters(request)
    deviations = selectors.deviation_list(user=request.user, filters=filters)
    context = {
        "deviations": deviations,
        "counts": selectors.counts_by_class(deviations),
        "filters": filters,
        "programs": selectors.programs_for_filter(user=request.user),
        "statuses": Deviation.Status.choices,
        "classes": Deviation.Classification.choices,
        "query": request.GET.urlencode(),
    }
    template = "deviations/list.html"
    if fragment := _fragment(request):
        template += f"#{fragment}"
    return render(request, template, context)


@login_required
@vary_on_headers("HX-Request")
def triage_queue(request: PortalRequest) -> HttpResponse:
    if not access.is_cdmo(request.user):
        raise NotAllowed(QUEUE_ONLY_CDMO)
    context = {"deviations": selectors.triage_queue(user=request.user)}
    template = "deviations/queue.html"
    if fragment := _fragment(request):
        template += f"#{fragment}"
    return render(request, template, context)


def _detail_context(request: PortalRequest, grant: Grant[Deviation]) -> dict[str, object]:
    deviation = grant.obj
    notification = clock.clock_state(deviation.notification_due, deviation.sponsor_notified_at)
    investigation_clock = clock.clock_state(deviation.investigation_due, deviation.closed_at)
    return {
        "grant": grant,
        "deviation": deviation,
        "program": deviation.program,
        "notification": notification,
        "notification_left": clock.humanise(notification.remaining),
        "investigation": investigation_clock,
        "investigation_left": clock.humanise(investigation_clock.remaining),
        "events": selectors.deviation_events(user=request.user, deviation=deviation),
        "can_acknowledge": grant.can.acknowledge_deviation
        and deviation.sponsor_acknowledged_at is None,
        "targets": [
            (
                target,
                lifecycle.move_label(deviation, target),
                lifecycle.needs_signature(deviation, target),
            )
            for target in lifecycle.allowed_targets(grant.held, deviation)
        ],
        "signatures": _signatures(deviation),
        # The pending extensions this user may approve: QA of the program, not their requester.
        "approvable": {
            extension.pk
            for extension in deviation.extensions.all()
            if grant.may(Action.DECIDE_EXTENSION, extension)
        },
    }


def _signatures(deviation: Deviation) -> list[SignatureStatus]:
    return signatures_with_status(deviation)


def _work_forms(request: PortalRequest, deviation: Deviation, data: Any = None) -> dict[str, Any]:
    """The investigation forms of the page, bound to `data` for the one that was posted."""
    impact_initial = {name: getattr(deviation, name) for name in investigation.EDITABLE_FIELDS}
    impact_initial["expected_version"] = deviation.version
    impact_initial["affected_milestones"] = list(deviation.affected_milestones.all())
    impact_initial["batches"] = ", ".join(b.lot_number for b in deviation.batches.all())
    milestones = milestone_list(request.user, deviation.program)
    return {
        "impact": ImpactForm(data, initial=impact_initial, milestones=milestones),
        "root_cause": RootCauseForm(data),
        "capa": CAPAForm(data, owners=cdmo_people()),
        "capa_complete": CAPACompleteForm(data),
        "extension": ExtensionRequestForm(data),
        "extension_approve": ExtensionApproveForm(
            data, initial={"expected_version": deviation.version}
        ),
    }


def _shown_work(request: PortalRequest, grant: Grant[Deviation]) -> dict[str, Any]:
    """The investigation forms, for those who may edit an open deviation."""
    if not grant.can.edit_deviation or not grant.obj.is_open:
        return {}
    return _work_forms(request, grant.obj)


@login_required
@vary_on_headers("HX-Request")
def deviation_detail(request: PortalRequest, reference: str) -> HttpResponse:
    grant = selectors.deviation_grant(request.user, reference)
    context = _detail_context(request, grant)
    context["transition_form"] = TransitionForm(initial={"expected_version": grant.obj.version})
    context["work"] = _shown_work(request, grant)
    template = "deviations/detail.html"
    if fragment := _fragment(request):
        template += f"#{fragment}"
    return render(request, template, context)


@login_required
def deviation_new(request: PortalRequest, code: str) -> HttpResponse:
    """The logging form. Showing it is for those who may log; the service decides the post."""
    program = get_program_for_user(request.user, code)
    if request.method != "POST":
        access.require(request.user, Action.LOG_DEVIATION, program)
        return render(
            request, "deviations/new.html", {"program": program, "form": DeviationLogForm()}
        )
    form = DeviationLogForm(request.POST)
    deviation = None
    if form.is_valid():
        try:
            data = dict(form.cleaned_data)
            deviation = reporting.deviation_log(
                actor=request.user,
                program=program,
                **data | {"batches": lots_in(data.get("batches") or "")},
            )
        except NotAllowed:
            raise
        except ServiceError as exc:
            add_service_error(form, exc)
    if deviation is None:
        template = "deviations/new.html#log-form" if request.htmx else "deviations/new.html"
        return render(request, template, {"program": program, "form": form}, status=422)
    url = reverse("deviation-detail", args=[deviation.reference])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    messages.success(request, f"{deviation.reference} logged; the sponsor has been notified.")
    return redirect(url)


@require_POST
@login_required
def deviation_acknowledge(request: PortalRequest, reference: str) -> HttpResponse:
    grant = selectors.deviation_grant(request.user, reference)
    error = ""
    try:
        reporting.deviation_acknowledge(actor=request.user, deviation=grant.obj)
    except NotAllowed:
        raise
    except ServiceError as exc:
        error = exc.message
    if request.htmx:
        context = _detail_context(request, selectors.deviation_grant(request.user, reference))
        context["ack_error"] = error
        return render(
            request, "deviations/detail.html#acknowledge", context, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect("deviation-detail", reference=reference)


@require_POST
@login_required
def deviation_transition(request: PortalRequest, reference: str) -> HttpResponse:
    grant = selectors.deviation_grant(request.user, reference)
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            lifecycle.deviation_transition(
                actor=request.user,
                deviation=grant.obj,
                to=data["to"],
                expected_version=data["expected_version"],
                reason=data["reason"],
                no_capa_rationale=data["no_capa_rationale"],
                password=data["password"],
            )
        except NotAllowed:
            raise
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        context = _detail_context(request, grant)
        context["transition_form"] = form
        template = "deviations/detail.html#transition" if request.htmx else "deviations/detail.html"
        return render(request, template, context, status=422)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("deviation-detail", args=[reference]))
    return redirect("deviation-detail", reference=reference)


@login_required
def deviation_audit(request: PortalRequest, reference: str) -> HttpResponseBase:
    """Every change to the deviation and its parts: who, when, old and new values, why; as a
    page, a printable page (`?print=1`) or CSV (`?export=csv`) for the sponsor's inspectors."""
    deviation = selectors.deviation_grant(request.user, reference).obj
    rows = audit_trail_for(deviation, user=request.user, related=selectors.audit_parts(deviation))
    if request.GET.get("export") == "csv":
        return audit_csv_response(rows, f"{deviation.reference}-audit.csv")
    context = {
        "record_label": f"{deviation.reference} {deviation.title}",
        "rows": rows,
        "back_url": reverse("deviation-detail", args=[deviation.reference]),
        "csv_url": "?export=csv",
        "signatures": _signatures(deviation),
    }
    return render(request, "portal/record_audit.html", context)


def _do(step: str, request: PortalRequest, deviation: Deviation, data: dict[str, Any]) -> None:
    """Call the service for one investigation step with a valid form's data."""
    user = request.user
    if step == "impact":
        values = {name: data[name] for name in investigation.EDITABLE_FIELDS if name in data}
        investigation.deviation_update(
            actor=user,
            deviation=deviation,
            expected_version=data["expected_version"],
            reason=data["reason"],
            affected_milestones=list(data["affected_milestones"]),
            batches=lots_in(data.get("batches") or ""),
            **values,
        )
    elif step == "root-cause":
        investigation.root_cause_add(actor=user, deviation=deviation, **data)
    elif step == "capa":
        capa.capa_add(actor=user, deviation=deviation, **data)
    elif step == "capa-complete":
        action = next((c for c in deviation.capas.all() if c.pk == data["capa"]), None)
        if action is None:
            raise Http404("No such CAPA action.")
        capa.capa_complete(actor=user, capa=action, effectiveness_check=data["effectiveness_check"])
    elif step == "extension":
        extensions.extension_request(actor=user, deviation=deviation, **data)
    elif step == "extension-approve":
        extension = next((e for e in deviation.extensions.all() if e.pk == data["extension"]), None)
        if extension is None:
            raise Http404("No such extension request.")
        extensions.extension_approve(
            actor=user,
            extension=extension,
            expected_version=data["expected_version"],
            password=data["password"],
        )


@require_POST
@login_required
def deviation_work(request: PortalRequest, reference: str, step: str) -> HttpResponse:
    """One investigation step (impact, root cause, CAPA, extension) posted from the page. The
    steps are the investigators' (a sponsor's post is a 403 whatever it holds); each service
    then decides its own step, and a refusal by the deviation's state is shown inline."""
    grant = selectors.deviation_grant(request.user, reference)
    grant.require(Action.EDIT_DEVIATION)
    if step not in WORK_STEPS:
        raise Http404("No such step.")
    if step == "extension-approve":  # QA's signed step: refused before the form is read
        extensions.extension_approver_require(
            actor=request.user, deviation=grant.obj, attempted=bool(request.POST.get("password"))
        )
    key = step.replace("-", "_")
    form = _work_forms(request, grant.obj, request.POST)[key]
    if form.is_valid():
        try:
            _do(step, request, grant.obj, form.cleaned_data)
        except NotAllowed:
            raise
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        work = _work_forms(request, grant.obj)  # shown even on a closed deviation, refused
        work[key] = form
        context = _detail_context(request, grant)
        context["work"] = work
        context["transition_form"] = TransitionForm(initial={"expected_version": grant.obj.version})
        context["failed_step"] = step
        template = "deviations/detail.html#work" if request.htmx else "deviations/detail.html"
        return render(request, template, context, status=422)
    url = reverse("deviation-detail", args=[reference])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
