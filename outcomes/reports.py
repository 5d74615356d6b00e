"""The monthly program status report: what it holds, as one reader may see it, and its PDF.

`report_content` gathers the report's sections through the same scoped selectors as the pages
(tenancy and audience: a sponsor's report never holds an internal item). The printable page
and the PDF render the one template `outcomes/report.html`; the PDF is WeasyPrint's rendering
of that HTML with the print stylesheet.

Reproducible: nothing in the report depends on when or by whom it is built. Dates that need a
"today" (overdue, open at the end) use the period's last day; the PDF's metadata dates are the
period's end and its identifier is derived from the program, the period and the audience, so
the same records give the same bytes.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.template.loader import render_to_string

from comms.selectors import update_list
from deviations.models import Deviation
from deviations.selectors import deviation_list
from governance.models import ActionItem, Meeting
from governance.selectors import action_item_list, meeting_list, meeting_write_up
from outcomes import kpis as kpi_engine
from outcomes import periods
from outcomes.jobs import job_building, job_request
from outcomes.models import Job
from outcomes.periods import Period
from portal import access
from portal.errors import Invalid
from portal.models import User
from programs import kpi_catalogue, selectors
from programs.models import Batch, ChangeOrder, KpiTarget, Program

TEMPLATE = "outcomes/report.html"
PDF_LAYOUT = "outcomes/report_pdf.html"
REPORT_CSS = "css/report.css"
REPORT_TASK = "outcomes.tasks.build_report"
PDF_CONTENT_TYPE = "application/pdf"
REPORT_NO_LONGER_VISIBLE = "You no longer see this program: its report was not built."
REPORT_AUDIENCE_CHANGED = "Your access changed since you asked: ask for the report again."


@dataclass(frozen=True)
class MilestoneLine:
    name: str
    workstream: str
    baseline: datetime.date
    forecast: datetime.date
    actual: datetime.date | None
    slip_days: int
    in_period: bool


@dataclass(frozen=True)
class KpiLine:
    name: str
    definition: str
    unit: str
    value: Decimal | None
    numerator: int | None
    denominator: int | None
    target: Decimal | None
    met: bool | None  # None without a target or a figure


def _kpi_lines(user: User, program: Program, period: Period) -> list[KpiLine]:
    figures = kpi_engine.kpis_for(program_ids=[program.pk], period=period, user=user)[program.pk]
    targets = dict(
        KpiTarget.objects.visible_to(user).filter(program=program).values_list("kpi", "target")
    )
    lines = []
    for key, figure in figures.items():
        definition = kpi_catalogue.definition(key)
        target = targets.get(key)
        met = None
        if figure.value is not None and target is not None:
            met = figure.value >= target if definition.higher_is_better else figure.value <= target
        lines.append(
            KpiLine(
                name=definition.name,
                definition=definition.definition,
                unit=kpi_catalogue.Unit(definition.unit).label,
                value=figure.value,
                numerator=figure.numerator,
                denominator=figure.denominator,
                target=target,
                met=met,
            )
        )
    return lines


def report_content(user: User, program: Program, period: Period) -> dict[str, Any]:
    """Every section of the report for `program` over `period`, as `user` may see it."""
    start, end = period.moments()
    as_of = period.last_day

    milestones = [
        MilestoneLine(
            name=m.name,
            workstream=m.workstream.name if m.workstream else "",
            baseline=m.baseline_date,
            forecast=m.forecast_date,
            actual=m.actual_date,
            slip_days=((m.actual_date or m.forecast_date) - m.baseline_date).days,
            in_period=period.start <= (m.actual_date or m.forecast_date) < period.end,
        )
        for m in selectors.milestone_list(user, program).order_by("baseline_date", "name", "id")
    ]

    deviations = list(
        deviation_list(user=user)
        .filter(program=program, aware_at__lt=end)
        .filter(Q(aware_at__gte=start) | Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        .order_by("aware_at", "reference")
    )

    batches = list(
        Batch.objects.visible_to(user)
        .filter(program=program)
        .filter(
            Q(planned_release__gte=period.start, planned_release__lt=period.end)
            | Q(actual_release__gte=period.start, actual_release__lt=period.end)
            | Q(actual_start__gte=period.start, actual_start__lt=period.end)
        )
        .order_by("planned_release", "lot_number")
    )

    change_orders = list(
        selectors.change_order_list(user, program)
        .filter(proposed_at__lt=end)
        .order_by("proposed_at", "reference")
    )

    held = list(
        meeting_list(user=user, program=program)
        .filter(status=Meeting.Status.HELD, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "id")
    )
    decisions = [
        (meeting, write_up.decisions)
        for meeting in held
        if (write_up := meeting_write_up(user, meeting)).decisions
    ]

    actions = list(
        action_item_list(user=user, program=program)
        .filter(created_at__lt=end)
        .filter(
            Q(status=ActionItem.Status.OPEN)
            | Q(completed_at__gte=start, completed_at__lt=end)
            | Q(completed_at__gte=end)
        )
        .order_by("due_date", "id")
    )

    updates = list(
        update_list(user=user, program=program)
        .filter(significance__in=("notable", "critical"))
        .filter(
            Q(published_at__gte=start, published_at__lt=end)
            | Q(published_at__isnull=True, created_at__gte=start, created_at__lt=end)
        )
        .order_by("created_at", "id")
    )

    open_deviations = [d for d in deviations if d.closed_at is None or d.closed_at >= end]
    return {
        "program": program,
        "period": period,
        "as_of": as_of,
        "complete": period.is_complete(),
        "internal": access.sees_internal(user),
        "summary": {
            "milestones_done": sum(
                1 for m in milestones if m.actual and period.start <= m.actual < period.end
            ),
            "milestones_slipping": sum(1 for m in milestones if not m.actual and m.slip_days > 0),
            "deviations_new": sum(1 for d in deviations if d.aware_at >= start),
            "deviations_open": len(open_deviations),
            "batches_released": sum(
                1
                for b in batches
                if b.actual_release and period.start <= b.actual_release < period.end
            ),
            "meetings_held": len(held),
            "actions_open": sum(
                1
                for a in actions
                if a.status == ActionItem.Status.OPEN or (a.completed_at and a.completed_at >= end)
            ),
        },
        "updates": updates,
        "milestones": milestones,
        "deviations": deviations,
        "critical_open": sum(
            1 for d in open_deviations if d.classification == Deviation.Classification.CRITICAL
        ),
        "batches": batches,
        "kpis": _kpi_lines(user, program, period),
        "costs": selectors.cost_summary(user, program),
        "cost_drivers": selectors.cost_by_driver(user, program),
        "change_orders": change_orders,
        "change_orders_decided": [
            co
            for co in change_orders
            if co.status != ChangeOrder.Status.PROPOSED
            and co.decided_at
            and start <= co.decided_at < end
        ],
        "decisions": decisions,
        "actions": actions,
    }


def report_context(user: User, program: Program, period: Period) -> dict[str, Any]:
    """The template's context: the content and what names this edition of the report."""
    context = report_content(user, program, period)
    context["document_id"] = report_identifier(program, period, context["internal"])
    return context


def _report_css() -> str:
    path = finders.find(REPORT_CSS)
    if not path:  # a deployment without the project's static files is broken, not silent
        raise ImproperlyConfigured(f"{REPORT_CSS} is missing from the static files.")
    return Path(str(path)).read_text(encoding="utf-8")


def report_pdf_html(user: User, program: Program, period: Period) -> str:
    """The report as the PDF's source: the same template in a bare document, its stylesheet
    inline and its metadata dates the period's end."""
    context = report_context(user, program, period)
    context.update(layout=PDF_LAYOUT, for_pdf=True, report_css=_report_css())
    return render_to_string(TEMPLATE, context)


def report_identifier(program: Program, period: Period, internal: bool) -> str:
    """What names this report whoever builds it: program, period and audience."""
    audience = "internal" if internal else "sponsor"
    return hashlib.sha256(f"{program.code}|{period.key}|{audience}".encode()).hexdigest()


def report_file_name(program: Program, period: Period) -> str:
    return f"{program.code}-status-report-{period.key}.pdf"


def report_pdf(user: User, program: Program, period: Period) -> bytes:
    """The PDF of the report: WeasyPrint's rendering of the same template, its metadata fixed
    by the inputs (dates: the period's end; identifier: `report_identifier`)."""
    from weasyprint import HTML  # loads Pango: only where a PDF is built

    # WeasyPrint narrates every step at INFO; the job's own progress says enough.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    html = report_pdf_html(user, program, period)
    identifier = report_identifier(program, period, access.sees_internal(user))
    return HTML(string=html, base_url=None).write_pdf(
        pdf_identifier=identifier[:32].encode(), uncompressed_pdf=False
    )


def report_period(month: str | None) -> Period:
    """The month named by a request (`2026-11`): not a future month, nor one before the
    retained records; `Invalid` on the `month` field otherwise."""
    if not month:
        raise Invalid(periods.PERIOD_MALFORMED.format(example="2026-11"), field="month")
    try:
        return periods.parse(periods.PeriodKind.MONTH, month)
    except periods.PeriodError as error:
        raise Invalid(str(error), field="month") from None


def report_request(*, actor: User, program: Program, month: str | None) -> Job:
    """Ask for the report's PDF: a job built by a Celery task for `actor`, with what they may
    see (the job's audience). `program` is one `actor` sees (the caller looked it up so)."""
    period = report_period(month)
    return job_request(
        actor=actor,
        kind=Job.Kind.REPORT,
        task=REPORT_TASK,
        program=program,
        period_start=period.start,
        period_end=period.end,
        params={"month": period.key},
    )


def report_build(job_id: str) -> bool:
    """The task's work: build the job's report as its requester may see it now. False when
    there was nothing to do (unknown or finished job)."""
    job = Job.objects.select_related("program", "requested_by").filter(pk=job_id).first()
    if job is None or job.is_finished or job.program is None or job.period_start is None:
        return False
    program, user = job.program, job.requested_by
    period = periods.ending(periods.PeriodKind.MONTH, job.period_start)
    with job_building(
        job_id, file_name=report_file_name(program, period), content_type=PDF_CONTENT_TYPE
    ) as build:
        if build is None:
            return False
        if not Program.objects.visible_to(user).filter(pk=program.pk).exists():
            raise PermissionError(REPORT_NO_LONGER_VISIBLE)
        if access.sees_internal(user) != (job.audience == access.Audience.INTERNAL):
            raise PermissionError(REPORT_AUDIENCE_CHANGED)
        build.progress(10, "Gathering the records")
        pdf = report_pdf(user, program, period)
        build.progress(90, "Writing the PDF")
        build.write(pdf)
    return True
