"""The program's shared history: every event, filterable, exportable as CSV.

The history is the Event table read through the tenant- and audience-scoped selector, so a
sponsor's export never carries an internal item. Exports are recorded in the audit trail.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from comms import selectors
from comms.filters import HistoryFilter
from comms.services import history
from portal import access
from portal.csv_export import csv_response
from portal.http import PortalRequest
from programs.models import Event, Program
from programs.selectors import event_list

PAGE_SIZE = 50
CSV_COLUMNS = ["time (UTC)", "kind", "what happened", "who", "visible to", "link"]


def _in_chunks(events: QuerySet[Event], size: int = 1000) -> Iterator[Event]:
    """Keyset pages by id: the response streams after the view returns, when a server-side
    cursor's transaction is gone, so each page is its own short query."""
    last = 0
    while True:
        page = list(events.filter(id__gt=last).order_by("id")[:size])
        yield from page
        if len(page) < size:
            return
        last = page[-1].id


def _rows(events: Iterator[Event], site: str) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for event in events:
        yield [
            event.at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            event.get_kind_display(),
            event.summary,
            event.actor.display_name if event.actor else "Portal",
            event.get_audience_display(),
            f"{site}{event.url}" if event.url else "",
        ]


@login_required
@vary_on_headers("HX-Request")
def program_history(request: PortalRequest, code: str) -> HttpResponseBase:
    program = selectors.program_grant(request.user, code).obj
    filters = HistoryFilter(
        request.GET or None, queryset=event_list(user=request.user, program=program)
    )
    valid = filters.is_valid() if request.GET else True
    events = filters.qs if valid else event_list(user=request.user, program=program).none()

    if request.GET.get("export") == "csv" and valid:
        return _export(request, program, events)

    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "program": program,
        "filters": filters,
        "page": page,
        "show_audience": access.sees_internal(request.user),
        "query": request.GET.copy(),
    }
    template = "comms/history.html#results" if request.htmx else "comms/history.html"
    return render(request, template, context, status=200 if valid else 422)


def _export(
    request: PortalRequest, program: Program, events: QuerySet[Event]
) -> StreamingHttpResponse:
    history.history_export_record(
        actor=request.user, program=program, filters=request.GET.urlencode()
    )
    site = request.build_absolute_uri("/").rstrip("/")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return csv_response(_rows(_in_chunks(events), site), f"{program.code}-history-{stamp}.csv")
