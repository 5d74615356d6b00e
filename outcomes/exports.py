"""CSV and Excel exports of a program's lists, through the same scoped selectors as the pages.

Each list is one `ExportList`: its columns and the queryset it reads, built from the reader
(tenancy and audience: a sponsor's export never holds an internal item, nor another sponsor's
row). One mechanism writes every list (`portal.csv_export`: formula cells neutralised, Excel
files reproducible). A small export answers at once; one above `EXPORT_SYNC_LIMIT` rows is a
job built by a Celery task with its progress on the job's page. Every export is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpResponseBase

from comms.selectors import update_list
from deviations.selectors import deviation_list
from governance.escalations.selectors import escalation_list
from governance.selectors import action_item_list, meeting_list, meeting_write_up, risk_list
from outcomes.jobs import Build, job_building, job_request
from outcomes.models import Job
from portal import access, audit
from portal.csv_export import (
    CONTENT_TYPES,
    CSV,
    FORMATS,
    XLSX,
    csv_chunks,
    csv_response,
    xlsx_bytes,
    xlsx_response,
)
from portal.errors import Invalid
from portal.models import AuditEntry, User
from programs import selectors
from programs.models import Batch, Program

EXPORT_TASK = "outcomes.tasks.build_export"
FORMAT_UNKNOWN = "Choose the format csv or xlsx."
LIST_UNKNOWN = "There is no such list to export."
PROGRESS_EVERY = 500

Row = Sequence[Any]
Rows = Callable[[User, Any], Row]


@dataclass(frozen=True)
class ExportList:
    """One exportable list: a title, its columns, the reader's rows and one row per record."""

    title: str
    columns: tuple[str, ...]
    records: Callable[[User, Program], models.QuerySet[Any]]
    row: Rows
    internal_columns: tuple[str, ...] = ()  # shown only to readers who see internal items

    def header(self, user: User) -> list[str]:
        return [*self.columns, *(self.internal_columns if access.sees_internal(user) else ())]


def _person(user: Any) -> str:
    return getattr(user, "display_name", "") if user is not None else ""


def _deviations(user: User, program: Program) -> models.QuerySet[Any]:
    return deviation_list(user=user).filter(program=program).order_by("aware_at", "reference")


def _meeting_row(user: User, meeting: Any) -> Row:
    write_up = meeting_write_up(user, meeting)
    return [
        meeting.starts_at,
        meeting.title,
        meeting.get_status_display(),
        meeting.duration_minutes,
        write_up.decisions,
        write_up.minutes,
    ]


def _audience(user: User, record: Any) -> list[Any]:
    return [record.get_audience_display()] if access.sees_internal(user) else []


LISTS: dict[str, ExportList] = {
    "deviations": ExportList(
        "Deviations",
        (
            "reference", "title", "classification", "status", "occurred (UTC)", "aware (UTC)",
            "notification due (UTC)", "sponsor notified (UTC)", "sponsor acknowledged (UTC)",
            "investigation due (UTC)", "closed (UTC)",
        ),
        _deviations,
        lambda user, d: [
            d.reference, d.title, d.get_classification_display(), d.get_status_display(),
            d.occurred_at, d.aware_at, d.notification_due, d.sponsor_notified_at,
            d.sponsor_acknowledged_at, d.investigation_due, d.closed_at,
        ],
    ),
    "milestones": ExportList(
        "Milestones",
        ("milestone", "workstream", "baseline", "forecast", "actual", "slip (days)"),
        lambda user, program: selectors.milestone_list(user, program).order_by(
            "baseline_date", "name", "id"
        ),
        lambda user, m: [
            m.name, m.workstream.name if m.workstream else "", m.baseline_date, m.forecast_date,
            m.actual_date, ((m.actual_date or m.forecast_date) - m.baseline_date).days,
        ],
    ),
    "batches": ExportList(
        "Batches",
        (
            "lot", "product", "planned start", "actual start", "planned release",
            "actual release", "quantity committed", "quantity delivered", "unit",
            "disposition", "reworked", "on time", "in full", "right first time", "deviations",
        ),
        lambda user, program: Batch.objects.visible_to(user)
        .filter(program=program)
        .with_outcome()
        .order_by("planned_start", "lot_number"),
        lambda user, b: [
            b.lot_number, b.product, b.planned_start, b.actual_start, b.planned_release,
            b.actual_release, b.quantity_committed, b.quantity_delivered, b.quantity_unit,
            b.get_disposition_display(), b.reworked, b.on_time, b.in_full,
            b.right_first_time if b.is_decided else None, b.deviation_count,
        ],
    ),
    "action-items": ExportList(
        "Action items",
        ("action", "owner", "due", "status", "created (UTC)", "completed (UTC)"),
        lambda user, program: action_item_list(user=user, program=program).order_by(
            "due_date", "id"
        ),
        lambda user, a: [
            a.title, _person(a.owner), a.due_date, a.get_status_display(), a.created_at,
            a.completed_at, *_audience(user, a),
        ],
        internal_columns=("visible to",),
    ),
    "risks": ExportList(
        "Risks",
        (
            "risk", "likelihood", "impact", "score", "status", "owner", "review date",
            "mitigation", "contingency",
        ),
        lambda user, program: risk_list(user=user, program=program),
        lambda user, r: [
            r.title, r.likelihood, r.impact, r.likelihood * r.impact, r.get_status_display(),
            _person(r.owner), r.review_date, r.mitigation, r.contingency, *_audience(user, r),
        ],
        internal_columns=("visible to",),
    ),
    "change-orders": ExportList(
        "Change orders",
        (
            "reference", "title", "amount", "currency", "status", "proposed by",
            "proposed (UTC)", "decided by", "decided (UTC)", "decision comment",
        ),
        lambda user, program: selectors.change_order_list(user, program)
        .select_related("proposed_by", "decided_by", "program")
        .order_by("proposed_at", "reference"),
        lambda user, c: [
            c.reference, c.title, c.amount, c.program.currency, c.get_status_display(),
            _person(c.proposed_by), c.proposed_at, _person(c.decided_by), c.decided_at,
            c.decision_comment,
        ],
    ),
    "updates": ExportList(
        "Updates",
        (
            "posted (UTC)", "shared (UTC)", "title", "category", "significance", "author",
            "body",
        ),
        lambda user, program: update_list(user=user, program=program).order_by(
            "created_at", "id"
        ),
        lambda user, u: [
            u.created_at, u.published_at, u.title, u.get_category_display(),
            u.get_significance_display(), _person(u.author), u.body, *_audience(user, u),
        ],
        internal_columns=("visible to",),
    ),
    "meetings": ExportList(
        "Meetings",
        ("starts (UTC)", "title", "status", "minutes long", "decisions", "minutes"),
        lambda user, program: meeting_list(user=user, program=program).order_by(
            "starts_at", "id"
        ),
        _meeting_row,
    ),
    "escalations": ExportList(
        "Escalations",
        (
            "reference", "title", "raised (UTC)", "level", "due (UTC)", "acknowledged (UTC)",
            "resolved (UTC)",
        ),
        lambda user, program: escalation_list(user, status="all")
        .filter(program=program)
        .order_by("raised_at", "id"),
        lambda user, e: [
            e.reference, e.title, e.raised_at, e.level, e.due_at, e.acknowledged_at,
            e.resolved_at, *_audience(user, e),
        ],
        internal_columns=("visible to",),
    ),
    "history": ExportList(
        "History",
        ("time (UTC)", "kind", "what happened", "who"),
        lambda user, program: selectors.event_list(user=user, program=program).order_by(
            "at", "id"
        ),
        lambda user, e: [
            e.at, e.get_kind_display(), e.summary, _person(e.actor), *_audience(user, e),
        ],
        internal_columns=("visible to",),
    ),
}  # fmt: skip


def export_list(name: str) -> ExportList:
    try:
        return LISTS[name]
    except KeyError:
        raise Invalid(LIST_UNKNOWN, field="list") from None


def export_format(value: str | None) -> str:
    fmt = (value or CSV).lower()
    if fmt not in FORMATS:
        raise Invalid(FORMAT_UNKNOWN, field="format")
    return fmt


def export_file_name(program: Program, name: str, fmt: str) -> str:
    return f"{program.code}-{name}.{fmt}"


def _lines(user: User, spec: ExportList, records: models.QuerySet[Any]) -> Iterator[Row]:
    yield spec.header(user)
    for record in records.iterator(chunk_size=1000):
        yield spec.row(user, record)


def _audit_export(*, actor: User, program: Program, name: str, fmt: str, rows: int) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditEntry.Action.ACCESS,
            instance=program,
            changes={"export": [None, f"{name}.{fmt}"], "rows": [None, rows]},
            program_id=program.pk,
        )


def export_now_or_later(
    *, actor: User, program: Program, name: str, fmt: str | None
) -> HttpResponseBase | Job:
    """The export as a response when it is small, otherwise the job that will build it.
    `program` is one `actor` sees (the caller looked it up so)."""
    spec = export_list(name)
    fmt = export_format(fmt)
    records = spec.records(actor, program)
    count = records.count()
    if count > settings.EXPORT_SYNC_LIMIT:
        return job_request(
            actor=actor,
            kind=Job.Kind.EXPORT,
            task=EXPORT_TASK,
            program=program,
            params={"list": name, "format": fmt},
        )
    _audit_export(actor=actor, program=program, name=name, fmt=fmt, rows=count)
    file_name = export_file_name(program, name, fmt)
    if fmt == XLSX:
        return xlsx_response(_lines(actor, spec, records), file_name, spec.title)
    return csv_response(_lines(actor, spec, records), file_name)


def _write(build: Build, user: User, spec: ExportList, records: Any, fmt: str) -> None:
    total = max(records.count(), 1)
    done = 0

    def counted() -> Iterator[Row]:
        nonlocal done
        for line in _lines(user, spec, records):
            yield line
            done += 1
            if done % PROGRESS_EVERY == 0:
                build.progress(done * 90 // total, f"{done} of {total} rows")

    if fmt == XLSX:
        build.write(xlsx_bytes(counted(), spec.title))
        return
    for text in csv_chunks(counted()):
        build.write(text.encode())


def export_build(job_id: str) -> bool:
    """The task's work: write the job's list as its requester may see it now."""
    job = Job.objects.select_related("program", "requested_by").filter(pk=job_id).first()
    if job is None or job.is_finished or job.program is None:
        return False
    name, fmt = job.params.get("list", ""), job.params.get("format", CSV)
    program, user = job.program, job.requested_by
    with job_building(
        job_id,
        file_name=export_file_name(program, name, fmt),
        content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES[CSV]),
    ) as build:
        if build is None:
            return False
        if not Program.objects.visible_to(user).filter(pk=program.pk).exists():
            raise PermissionError(EXPORT_NO_LONGER_VISIBLE)
        spec = export_list(name)
        build.progress(1, "Reading the records")
        _write(build, user, spec, spec.records(user, program), export_format(fmt))
    return True


EXPORT_NO_LONGER_VISIBLE = "You no longer see this program: the export was not built."
