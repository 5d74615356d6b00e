"""One milestone: its dates, its history with every reason, and the team's forms to move the
forecast, change the baseline or mark it complete."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal import clock
from portal.access import Action, Grant
from portal.http import PortalRequest
from portal.models import AuditEntry
from programs import selectors, svg
from programs.forms import CompleteForm, RebaselineForm, RescheduleForm
from programs.models import Milestone, Program
from programs.services import timeline as services
from programs.views.common import TIMELINE_CHANGED, answer, fragment, program_grant, run

HISTORY_FIELDS = {"baseline_date": "Baseline", "forecast_date": "Forecast", "actual_date": "Actual"}


@dataclass(frozen=True)
class HistoryChange:
    label: str
    before: str
    after: str

    def __str__(self) -> str:
        if not self.before:
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after or 'cleared'}"


@dataclass(frozen=True)
class HistoryEntry:
    title: str
    changes: list[HistoryChange]
    reason: str
    who: str
    at: datetime.datetime


def _as_day(value: object) -> str:
    if not value:
        return ""
    day = datetime.date.fromisoformat(str(value))
    return f"{day.day} {day:%b %Y}"


def _history(entries: Iterable[AuditEntry]) -> list[HistoryEntry]:
    """The milestone's audit trail as people read it: which date moved, from and to, why."""
    rows = []
    for entry in entries:
        dates = [name for name in HISTORY_FIELDS if name in entry.changes]
        if entry.action == AuditEntry.Action.CREATE:
            title = "Milestone added"
        elif "actual_date" in dates:
            title = "Completed"
        elif "baseline_date" in dates:
            title = "Baseline changed"
        else:
            title = "Forecast moved"
        changes = [
            HistoryChange(
                HISTORY_FIELDS[name],
                _as_day(entry.changes[name][0]),
                _as_day(entry.changes[name][1]),
            )
            for name in dates
            if entry.changes[name][0] or entry.changes[name][1]
        ]
        who = entry.actor.display_name if entry.actor else entry.actor_label
        rows.append(HistoryEntry(title, changes, entry.reason, who, entry.at))
    return rows


MILESTONE_SERVICES: dict[str, Callable[..., Milestone]] = {
    "reschedule": services.milestone_reschedule,
    "rebaseline": services.milestone_rebaseline,
    "complete": services.milestone_complete,
}
MILESTONE_FORMS: dict[str, type[forms.Form]] = {
    "reschedule": RescheduleForm,
    "rebaseline": RebaselineForm,
    "complete": CompleteForm,
}
DONE = {
    "reschedule": "Forecast moved; the reason is in the history.",
    "rebaseline": "Baseline changed; the change is in the history.",
    "complete": "Milestone marked complete.",
}


def _milestone_context(
    grant: Grant[Program], milestone: Milestone, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    program = grant.obj
    context: dict[str, Any] = {
        "program": program,
        "grant": grant,
        "milestone": milestone,
        "history": _history(selectors.milestone_history(milestone)),
        "frozen": program.baseline_frozen_at is not None,
        "beyond_threshold": svg.is_beyond_threshold(milestone, program.slip_threshold_days),
    }
    if grant.can.edit_program:
        bound = bound or {}
        initial = {
            "reschedule": {"forecast_date": milestone.forecast_date},
            "rebaseline": {"baseline_date": milestone.baseline_date},
            "complete": {"actual_date": clock.site_today()},
        }
        for name, form_class in MILESTONE_FORMS.items():
            context[f"{name}_form"] = bound.get(name) or form_class(initial=initial[name])
    return context


@login_required
@vary_on_headers("HX-Request")
def milestone_detail(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """A milestone, its history with every reason, and (for the CDMO team) its forms."""
    grant = program_grant(request, code)
    milestone = selectors.get_milestone_for_user(request.user, grant.obj, pk)
    context = _milestone_context(grant, milestone)
    template = "programs/milestone.html"
    if fragment(request, {"editor"}):
        return render(request, f"{template}#editor", context)
    return render(request, template, context)


def _milestone_action(request: PortalRequest, code: str, pk: int, action: str) -> HttpResponse:
    grant = program_grant(request, code)
    program = grant.obj
    milestone = selectors.get_milestone_for_user(request.user, program, pk)
    grant.require(Action.EDIT_PROGRAM)
    form = MILESTONE_FORMS[action](request.POST)
    saved: Milestone | None = run(
        form, MILESTONE_SERVICES[action], actor=request.user, milestone=milestone
    )
    if saved is not None:
        saved.program = program
        milestone = saved
    bound = {action: form} if form.errors else {}
    return answer(
        request,
        form=form,
        template="programs/milestone.html",
        partial="editor",
        partial_context=_milestone_context(grant, milestone, bound),
        page_context=dict,
        done=DONE[action],
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


@require_POST
@login_required
def milestone_reschedule(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    return _milestone_action(request, code, pk, "reschedule")


@require_POST
@login_required
def milestone_rebaseline(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    return _milestone_action(request, code, pk, "rebaseline")


@require_POST
@login_required
def milestone_complete(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    return _milestone_action(request, code, pk, "complete")
