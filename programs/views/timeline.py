"""The timeline page: workstreams and milestones, the Gantt chart, and the team's forms to add
either (a workstream is edited on its own page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal import clock
from portal.access import Action, Grant
from portal.http import PortalRequest
from programs import selectors, svg
from programs.forms import MilestoneForm, WorkstreamForm
from programs.models import Milestone, Program, Workstream
from programs.services import timeline as services
from programs.views.common import TIMELINE_CHANGED, answer, fragment, program_grant, run


@dataclass(frozen=True)
class TimelineRow:
    milestone: Milestone
    group: str
    beyond_threshold: bool


def _timeline_context(request: PortalRequest, grant: Grant[Program]) -> dict[str, Any]:
    user, program = request.user, grant.obj
    workstreams = list(selectors.workstream_list(user, program))
    milestones = list(selectors.milestone_list(user, program))
    threshold = program.slip_threshold_days
    today = clock.site_today()
    groups = svg.timeline_groups(workstreams, milestones)
    rows = [
        TimelineRow(m, group.name, svg.is_beyond_threshold(m, threshold))
        for group in groups
        for m in group.milestones
    ]
    chart = ""
    if milestones:
        chart = svg.timeline_chart(
            workstreams=workstreams,
            milestones=milestones,
            today=today,
            threshold_days=threshold,
            title=f"{program.code} timeline: baseline, forecast and actual dates by workstream",
            link=lambda m: reverse("milestone-detail", args=[program.code, m.pk]),
        )
    open_rows = [r for r in rows if not r.milestone.is_done]
    return {
        "program": program,
        "grant": grant,
        "workstreams": workstreams,
        "rows": rows,
        "chart": chart,
        "today": today,
        "threshold": threshold,
        "slipped_count": sum(1 for r in open_rows if r.milestone.slip_days > 0),
        "beyond_count": sum(1 for r in open_rows if r.beyond_threshold),
        "done_count": len(rows) - len(open_rows),
    }


def _milestone_form(request: PortalRequest, program: Program, data: Any = None) -> MilestoneForm:
    return MilestoneForm(data, workstreams=selectors.workstream_list(request.user, program))


def workstream_form(
    program: Program, data: Any = None, initial: dict[str, Any] | None = None
) -> WorkstreamForm:
    return WorkstreamForm(
        data,
        initial=initial,
        cdmo_people=selectors.cdmo_people(),
        sponsor_people=selectors.sponsor_people(program),
    )


def _timeline_page(request: PortalRequest, grant: Grant[Program]) -> dict[str, Any]:
    context = _timeline_context(request, grant)
    if grant.can.edit_program:
        context["milestone_form"] = _milestone_form(request, grant.obj)
        context["workstream_form"] = workstream_form(grant.obj)
    return context


@login_required
@vary_on_headers("HX-Request")
def timeline(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    template = "programs/timeline.html"
    if name := fragment(request, {"chart", "milestones", "workstreams"}):
        return render(request, f"{template}#{name}", _timeline_context(request, grant))
    return render(request, template, _timeline_page(request, grant))


@require_POST
@login_required
def milestone_create(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    grant.require(Action.EDIT_PROGRAM)
    program = grant.obj
    form = _milestone_form(request, program, request.POST)
    run(form, services.milestone_create, actor=request.user, program=program)
    fresh = form if form.errors else _milestone_form(request, program)
    return answer(
        request,
        form=form,
        template="programs/timeline.html",
        partial="milestone-form",
        partial_context={"program": program, "grant": grant, "milestone_form": fresh},
        page_context=lambda: _timeline_page(request, grant),
        done="Milestone added.",
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


@require_POST
@login_required
def workstream_create(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    grant.require(Action.EDIT_PROGRAM)
    program = grant.obj
    form = workstream_form(program, request.POST)
    run(form, services.workstream_create, actor=request.user, program=program)
    fresh = form if form.errors else workstream_form(program)
    return answer(
        request,
        form=form,
        template="programs/timeline.html",
        partial="workstream-form",
        partial_context={"program": program, "grant": grant, "workstream_form": fresh},
        page_context=lambda: _timeline_page(request, grant),
        done="Workstream added.",
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


@login_required
@vary_on_headers("HX-Request")
def workstream_edit(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """GET: the edit form (a page, or the panel's fragment); POST: save it."""
    grant = program_grant(request, code)
    program = grant.obj
    workstream = selectors.get_workstream_for_user(request.user, program, pk)
    grant.require(Action.EDIT_PROGRAM)
    template = "programs/workstream.html"
    if request.method != "POST":
        form = workstream_form(program, initial=WorkstreamForm.initial_for(workstream))
        context = {"program": program, "workstream": workstream, "form": form}
        if fragment(request, {"editor"}):
            return render(request, f"{template}#editor", context)
        return render(request, template, context)
    form = workstream_form(program, request.POST)
    saved: Workstream | None = run(
        form, services.workstream_update, actor=request.user, workstream=workstream
    )
    workstream = saved or workstream
    return answer(
        request,
        form=form,
        template=template,
        partial="editor",
        partial_context={"program": program, "workstream": workstream, "form": form},
        page_context=dict,
        done="Workstream saved.",
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )
