"""The inspection bundle: one program's record for one period, in one ZIP archive that an
inspector can check offline (docs/inspection-bundle.md).

Who may ask (`Action.EXPORT_BUNDLE`): the sponsor's lead, the program's QA, its dedicated PM
and CDMO leadership. A sponsor viewer and operations staff may not: handing the record to an
inspector is an accountable act, and the people accountable for the record are these.

What it holds, built with what the requester may see (`Job.audience`): the records
(deviations, their root causes and CAPA, batches, milestones, meetings with their minutes as the
requester may see them, change orders) as CSV and JSON; the program's audit trail for the
period; every signature given in the period with its meaning and the record version signed;
`manifest.json` with the SHA-256 of every file and the audit chain's anchors; and
`verify_bundle.py`, the standard-library verifier (its docstring explains the checks).

Streaming: the archive is written entry by entry to the job's file through `Build.write`
(zipfile on a non-seekable writer, data descriptors after each entry), records read with
`.iterator(chunk_size=…)`; nothing holds a whole table or the archive in memory.
Reproducible: sorted records, stable JSON, and every entry dated at the period's last day, so
the same records give the same bytes.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Max, Min, Q, QuerySet

from deviations.models import CAPA, Deviation, RootCause
from governance.models import Meeting
from portal import access, audit, audit_checkpoints
from portal.csv_export import cell
from portal.errors import Invalid
from portal.models import AuditEntry, Signature, User
from portal.signatures import manifestation
from programs.models import Batch, ChangeOrder, Milestone, Program

from . import periods
from .jobs import Build, job_building, job_request
from .models import Job
from .verify_bundle import AUDIT_TRAIL, MANIFEST, VERIFIER, canonical, next_link

TASK = "outcomes.tasks.build_bundle"
FORMAT = "cdmo-portal-inspection-bundle/1"
CHUNK = 500
CONTENT_TYPE = "application/zip"
VERIFIER_SOURCE = Path(__file__).with_name("verify_bundle.py")

PERIOD_ENDS_BEFORE_START = "The last day must not be before the first day."
PERIOD_DATES_MISSING = "Give both the first and the last day, or a period."
PROGRAM_GONE = "The program is no longer visible to the person who asked for this bundle."

WITHHELD = "not part of the sponsor's record"
MINUTES_WITHHELD = "(withheld: the meeting's minutes and decisions are in records/meetings)"
MEETING_TEXT = frozenset({"minutes", "decisions", "minutes_audience", "decisions_audience"})

# The record types a sponsor's bundle shows the audit entries of; any other entry of the chain
# (an internal note, a cost line, a job …) is exported to a sponsor as its position and hashes
# only, so that the chain stays checkable without showing what it was.
SPONSOR_AUDITED = frozenset(
    {
        "deviations.deviation",
        "deviations.rootcause",
        "deviations.capa",
        "programs.batch",
        "programs.milestone",
        "programs.changeorder",
        "governance.meeting",
    }
)


# --- Asking for a bundle ----------------------------------------------------------------------


def period_between(first_day: datetime.date, last_day: datetime.date) -> periods.Period:
    """An explicit period (both days inclusive), refused as `periods.parse` refuses a named one:
    not started yet, or before the retained records."""
    if last_day < first_day:
        raise periods.PeriodError(PERIOD_ENDS_BEFORE_START)
    period = periods.Period("custom", first_day, last_day + datetime.timedelta(days=1))
    today = periods.clock.site_today()
    if period.start > today:
        raise periods.PeriodError(periods.PERIOD_IN_FUTURE)
    oldest = periods.oldest_retained(today)
    if period.start < oldest:
        raise periods.PeriodError(periods.PERIOD_BEFORE_RETENTION.format(oldest=oldest))
    return period


PERIOD_CHOOSE_ONE = "Choose a period, or give a first and a last day: not both."
PERIOD_KINDS = (*periods.PeriodKind.values, "custom")


def bundle_period(
    *,
    period: str | None,
    key: str | None = None,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
) -> periods.Period:
    """The period a request names: a named one (`period` month, quarter or rolling12 and its
    `key`, empty for the current one) or `period` custom with both days. Refused with `Invalid`
    naming the field at fault (400), so that nothing is created."""
    if period == "custom" or (period is None and (first_day or last_day)):
        if first_day is None or last_day is None:
            missing = "first_day" if first_day is None else "last_day"
            raise Invalid(PERIOD_DATES_MISSING, field=missing)
        try:
            return period_between(first_day, last_day)
        except periods.PeriodError as error:
            field = "last_day" if str(error) == PERIOD_ENDS_BEFORE_START else "first_day"
            raise Invalid(str(error), field=field) from None
    if first_day or last_day:
        raise Invalid(PERIOD_CHOOSE_ONE, field="first_day")
    try:
        return periods.parse(period, key)
    except periods.PeriodError as error:
        field = "period" if period not in periods.PeriodKind.values else "key"
        raise Invalid(str(error), field=field) from None


def period_label(period: periods.Period) -> str:
    if period.kind == "custom":
        return f"{period.start:%d %b %Y} to {period.last_day:%d %b %Y}"
    return period.label


def bundle_request(*, actor: User, program: Program, period: periods.Period) -> Job:
    """Start building the bundle of `program` for `period` for `actor` (403 unless they may)."""
    access.require(actor, access.Action.EXPORT_BUNDLE, program)
    return job_request(
        actor=actor,
        kind=Job.Kind.BUNDLE,
        task=TASK,
        program=program,
        period_start=period.start,
        period_end=period.end,
        params={"period_kind": period.kind, "period_label": period_label(period)},
    )


def job_period(job: Job) -> periods.Period:
    assert job.period_start is not None
    assert job.period_end is not None
    return periods.Period(
        str(job.params.get("period_kind", "custom")), job.period_start, job.period_end
    )


def bundle_name(program_code: str, period: periods.Period) -> str:
    return f"{program_code}-inspection-bundle-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}"


# --- Values as exported -----------------------------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


Column = tuple[str, Callable[[Any], Any]]


@dataclass(frozen=True)
class Table:
    """One record type as exported: its file name, its rows and its columns."""

    name: str
    rows: Callable[[], QuerySet[Any] | _Related]
    columns: list[Column]


# --- Writing the archive ----------------------------------------------------------------------


class _Sink:
    """`Build` as the non-seekable file zipfile writes to (it then writes data descriptors)."""

    def __init__(self, build: Build) -> None:
        self.build = build

    def write(self, data: bytes) -> int:
        self.build.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        self.build.file.flush()

    def close(self) -> None:
        """The job's file is closed by `job_building`, once the archive is complete."""


class _Archive:
    """The ZIP being written: entries under one folder, all dated alike, hashed as written."""

    def __init__(self, build: Build, folder: str, date_time: tuple[int, ...]) -> None:
        self.zip = zipfile.ZipFile(_Sink(build), "w")
        self.folder = folder
        self.date_time = date_time
        self.files: dict[str, dict[str, Any]] = {}

    def write(self, name: str, chunks: Iterable[bytes], **about: Any) -> None:
        info = zipfile.ZipInfo(f"{self.folder}/{name}", date_time=self.date_time)  # type: ignore[arg-type]
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w") as entry:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                entry.write(chunk)
        self.files[name] = {"sha256": digest.hexdigest(), "bytes": size, **about}

    def close(self) -> None:
        self.zip.close()


def _csv_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _ in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow([cell(plain(get(row))) for _, get in columns])
        if number % CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _json_chunks(columns: list[Column], rows: Iterable[Any], counter: list[int]) -> Iterator[bytes]:
    yield b"["
    for number, row in enumerate(rows):
        record = {header: plain(get(row)) for header, get in columns}
        text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ": "))
        yield (("\n  " if number == 0 else ",\n  ") + text).encode()
        counter[0] = number + 1
    yield b"\n]\n"


class _Related:
    """Rows of `queryset` in chunks, each row given `.related`: the values `pairs(ids)` (a
    query of (row id, value)) names for it. What prefetch_related does, without the memory it
    holds under `.iterator()` (measured: 10 MiB against 1.5 for 3,000 deviations)."""

    def __init__(
        self, queryset: QuerySet[Any], pairs: Callable[[list[int]], Iterable[tuple[int, Any]]]
    ) -> None:
        self.queryset = queryset
        self.pairs = pairs

    def iterator(self, chunk_size: int = CHUNK) -> Iterator[Any]:
        chunk: list[Any] = []
        for row in self.queryset.iterator(chunk_size=chunk_size):
            chunk.append(row)
            if len(chunk) == chunk_size:
                yield from self._fill(chunk)
                chunk = []
        yield from self._fill(chunk)

    def _fill(self, chunk: list[Any]) -> Iterator[Any]:
        found: dict[int, list[str]] = {}
        for pk, value in self.pairs([row.pk for row in chunk]):
            found.setdefault(pk, []).append(str(value))
        for row in chunk:
            row.related = found.get(row.pk, [])
            yield row


# --- What is exported -------------------------------------------------------------------------


class _Content:
    """What one job's bundle holds, read with the requester's visibility."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.user = job.requested_by
        assert job.program is not None
        self.program: Program = job.program
        self.period = job_period(job)
        self.start, self.end = self.period.moments()
        # Both must agree: the audience the job was asked with, and the requester's today.
        self.internal = job.audience == access.Audience.INTERNAL and access.sees_internal(self.user)

    def _scoped(self, model: Any) -> QuerySet[Any]:
        return model.objects.visible_to(self.user).filter(program=self.program)

    def _minutes(self, meeting: Meeting, section: str) -> str:
        if self.internal or getattr(meeting, f"{section}_audience") == access.Audience.SPONSOR:
            return str(getattr(meeting, section))
        return ""

    def tables(self) -> list[Table]:
        start_day, end_day, start, end = self.period.start, self.period.end, self.start, self.end
        deviations = self._scoped(Deviation).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=start), aware_at__lt=end
        )
        dev_ids = deviations.values("pk")
        return [
            Table(
                "deviations",
                lambda: _Related(
                    deviations.select_related("sponsor_acknowledged_by", "logged_by").order_by(
                        "reference"
                    ),
                    lambda ids: Deviation.batches.through.objects.filter(
                        deviation_id__in=ids
                    ).values_list("deviation_id", "batch__lot_number"),
                ),
                [
                    ("reference", lambda d: d.reference),
                    ("title", lambda d: d.title),
                    ("classification", lambda d: d.classification),
                    ("status", lambda d: d.status),
                    ("batches", lambda d: "; ".join(sorted(d.related))),
                    ("description", lambda d: d.description),
                    ("occurred_at", lambda d: d.occurred_at),
                    ("aware_at", lambda d: d.aware_at),
                    ("notification_due", lambda d: d.notification_due),
                    ("sponsor_notified_at", lambda d: d.sponsor_notified_at),
                    ("sponsor_acknowledged_at", lambda d: d.sponsor_acknowledged_at),
                    ("sponsor_acknowledged_by", lambda d: _name(d.sponsor_acknowledged_by)),
                    ("investigation_due", lambda d: d.investigation_due),
                    ("impact_product_quality", lambda d: d.impact_product_quality),
                    ("impact_other_batches", lambda d: d.impact_other_batches),
                    ("impact_timeline", lambda d: d.impact_timeline),
                    ("impact_cost", lambda d: d.impact_cost),
                    ("no_capa_rationale", lambda d: d.no_capa_rationale),
                    ("closure_reason", lambda d: d.closure_reason),
                    ("closed_at", lambda d: d.closed_at),
                    ("logged_by", lambda d: _name(d.logged_by)),
                    ("created_at", lambda d: d.created_at),
                    ("version", lambda d: d.version),
                ],
            ),
            Table(
                "root_causes",
                lambda: (
                    self._scoped(RootCause)
                    .filter(deviation__in=dev_ids)
                    .select_related("deviation")
                    .order_by("deviation__reference", "id")
                ),
                [
                    ("deviation", lambda r: r.deviation.reference),
                    ("id", lambda r: r.pk),
                    ("category", lambda r: r.category),
                    ("description", lambda r: r.description),
                    ("created_at", lambda r: r.created_at),
                ],
            ),
            Table(
                "capa",
                lambda: (
                    self._scoped(CAPA)
                    .filter(deviation__in=dev_ids)
                    .select_related("deviation", "owner")
                    .order_by("deviation__reference", "number")
                ),
                [
                    ("deviation", lambda c: c.deviation.reference),
                    ("number", lambda c: c.number),
                    ("kind", lambda c: c.kind),
                    ("description", lambda c: c.description),
                    ("owner", lambda c: _name(c.owner)),
                    ("due_date", lambda c: c.due_date),
                    ("due_justification", lambda c: c.due_justification),
                    ("status", lambda c: c.status),
                    ("effectiveness_check", lambda c: c.effectiveness_check),
                    ("effectiveness_checked_on", lambda c: c.effectiveness_checked_on),
                    ("completed_at", lambda c: c.completed_at),
                ],
            ),
            Table(
                "batches",
                lambda: (
                    self._scoped(Batch)
                    .filter(
                        Q(actual_release__isnull=True) | Q(actual_release__gte=start_day),
                        planned_start__lt=end_day,
                    )
                    .select_related("disposition_by")
                    .order_by("lot_number")
                ),
                [
                    ("lot_number", lambda b: b.lot_number),
                    ("product", lambda b: b.product),
                    ("planned_start", lambda b: b.planned_start),
                    ("actual_start", lambda b: b.actual_start),
                    ("planned_release", lambda b: b.planned_release),
                    ("actual_release", lambda b: b.actual_release),
                    ("quantity_committed", lambda b: b.quantity_committed),
                    ("quantity_delivered", lambda b: b.quantity_delivered),
                    ("quantity_unit", lambda b: b.quantity_unit),
                    ("over_delivery_agreed", lambda b: b.over_delivery_agreed),
                    ("disposition", lambda b: b.disposition),
                    ("reworked", lambda b: b.reworked),
                    ("disposition_at", lambda b: b.disposition_at),
                    ("disposition_by", lambda b: _name(b.disposition_by)),
                    ("disposition_reason", lambda b: b.disposition_reason),
                    ("created_at", lambda b: b.created_at),
                ],
            ),
            Table(
                "milestones",
                lambda: (
                    self._scoped(Milestone)
                    .filter(
                        Q(actual_date__isnull=True) | Q(actual_date__gte=start_day),
                        created_at__lt=end,
                    )
                    .select_related("workstream")
                    .order_by("baseline_date", "id")
                ),
                [
                    ("id", lambda m: m.pk),
                    ("name", lambda m: m.name),
                    ("workstream", lambda m: m.workstream.name if m.workstream else None),
                    ("baseline_date", lambda m: m.baseline_date),
                    ("forecast_date", lambda m: m.forecast_date),
                    ("actual_date", lambda m: m.actual_date),
                    ("slip_days", lambda m: m.slip_days),
                    ("forecast_changed_at", lambda m: m.forecast_changed_at),
                    ("description", lambda m: m.description),
                ],
            ),
            Table(
                "meetings",
                lambda: _Related(
                    self._scoped(Meeting)
                    .filter(starts_at__gte=start, starts_at__lt=end)
                    .select_related("written_up_by")
                    .order_by("starts_at", "id"),
                    lambda ids: Meeting.attendees.through.objects.filter(
                        meeting_id__in=ids
                    ).values_list("meeting_id", "user__display_name"),
                ),
                [
                    ("uid", lambda m: str(m.uid)),
                    ("title", lambda m: m.title),
                    ("starts_at", lambda m: m.starts_at),
                    ("time_zone", lambda m: m.time_zone),
                    ("duration_minutes", lambda m: m.duration_minutes),
                    ("status", lambda m: m.status),
                    (
                        "attendees",
                        lambda m: "; ".join(sorted(m.related)),
                    ),
                    ("minutes", lambda m: self._minutes(m, "minutes")),
                    ("decisions", lambda m: self._minutes(m, "decisions")),
                    ("written_up_at", lambda m: m.written_up_at),
                    ("written_up_by", lambda m: _name(m.written_up_by)),
                ],
            ),
            Table(
                "change_orders",
                lambda: (
                    self._scoped(ChangeOrder)
                    .filter(
                        Q(decided_at__isnull=True) | Q(decided_at__gte=start), proposed_at__lt=end
                    )
                    .select_related("proposed_by", "decided_by")
                    .order_by("reference")
                ),
                [
                    ("reference", lambda c: c.reference),
                    ("title", lambda c: c.title),
                    ("rationale", lambda c: c.rationale),
                    ("amount", lambda c: c.amount),
                    ("status", lambda c: c.status),
                    ("proposed_by", lambda c: _name(c.proposed_by)),
                    ("proposed_at", lambda c: c.proposed_at),
                    ("decided_by", lambda c: _name(c.decided_by)),
                    ("decided_at", lambda c: c.decided_at),
                    ("decision_comment", lambda c: c.decision_comment),
                ],
            ),
            Table(
                "signatures",
                self.signatures,
                [
                    ("id", lambda s: s.pk),
                    ("record_type", lambda s: s.model),
                    ("record_id", lambda s: s.object_pk),
                    ("record", lambda s: s.object_repr),
                    ("printed_name", lambda s: manifestation(s)["printed_name"]),
                    ("signed_at_utc", lambda s: manifestation(s)["signed_at_utc"]),
                    ("meaning", lambda s: manifestation(s)["meaning"]),
                    ("statement", lambda s: manifestation(s)["statement"]),
                    ("record_version_sha256", lambda s: s.record_version),
                    ("content_version", lambda s: s.content_version),
                ],
            ),
        ]

    def signatures(self) -> QuerySet[Signature]:
        signed = Signature.objects.filter(
            program=self.program, signed_at__gte=self.start, signed_at__lt=self.end
        )
        if not self.internal:
            signed = signed.filter(model__in=sorted(SPONSOR_AUDITED))
        return signed.order_by("signed_at", "id")

    # --- the audit trail ----------------------------------------------------------------------

    def _in_period(self) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.filter(program=self.program, at__gte=self.start, at__lt=self.end)

    def audit_range(self) -> tuple[int | None, int | None]:
        """The first and last chain positions written in the period; everything between them
        is exported, so the stretch has no gap."""
        bounds = (
            self._in_period()
            .filter(sequence__isnull=False)
            .aggregate(Min("sequence"), Max("sequence"))
        )
        return bounds["sequence__min"], bounds["sequence__max"]

    def audit_entries(self) -> Iterator[AuditEntry]:
        legacy = self._in_period().filter(sequence__isnull=True).order_by("id")
        yield from legacy.iterator(chunk_size=CHUNK)
        first, last = self.audit_range()
        if first is None:
            return
        chain = AuditEntry.objects.filter(
            program=self.program, sequence__gte=first, sequence__lte=last
        ).order_by("sequence")
        yield from chain.iterator(chunk_size=CHUNK)

    def exported_entry(self, entry: AuditEntry) -> dict[str, Any]:
        """An entry as the bundle holds it: in full, or (for a sponsor, an entry about a record
        outside the sponsor's record) its position and hashes only."""
        links = {
            "sequence": entry.sequence,
            "previous_hash": entry.previous_hash,
            "entry_hash": entry.entry_hash,
        }
        if entry.sequence is None:
            links["legacy"] = True
        shown = self.internal or (
            entry.model in SPONSOR_AUDITED and entry.action != AuditEntry.Action.SIGN_FAILED
        )
        if not shown:
            return {**links, "withheld": WITHHELD}
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        if not self.internal and entry.model == "governance.meeting":
            changes = {
                name: ([MINUTES_WITHHELD, MINUTES_WITHHELD] if name in MEETING_TEXT else pair)
                for name, pair in changes.items()
            }
        return {
            **links,
            "at": plain(entry.at),
            "actor": entry.actor_label,
            "action": entry.action,
            "record_type": entry.model,
            "record_id": entry.object_pk,
            "record": entry.object_repr,
            "changes": changes,
            "reason": entry.reason,
            "request_id": entry.request_id,
            "key_id": entry.key_id,
        }

    def anchors(self) -> dict[str, Any]:
        first, last = self.audit_range()
        chain = audit.chain_name(self.program.pk)
        found: dict[str, Any] = {"chain": chain, "first_position": first, "last_position": last}
        if first is None or last is None:
            return {**found, "previous_hash": None, "next": None, "checkpoints": []}
        entries = AuditEntry.objects.filter(program=self.program)
        before = entries.filter(sequence=first - 1).values_list("entry_hash", flat=True).first()
        if before is None:  # the chain's first entry links to the root it starts from
            before = entries.filter(sequence=first).values_list("previous_hash", flat=True).first()
        after = (
            entries.filter(sequence=last + 1)
            .values("sequence", "previous_hash", "entry_hash")
            .first()
        )
        good, _ = audit_checkpoints.read()
        recorded: dict[int, dict[str, Any]] = {}
        for checkpoint in good:
            head = checkpoint.heads.get(chain)
            if head is not None and first <= head[0] <= last:
                recorded.setdefault(
                    head[0],
                    {"position": head[0], "entry_hash": head[1], "label": checkpoint.label},
                )
        return {
            **found,
            "previous_hash": before,
            "next": None
            if after is None
            else {
                "position": after["sequence"],
                "previous_hash": after["previous_hash"],
                "entry_hash": after["entry_hash"],
            },
            "checkpoints": [recorded[position] for position in sorted(recorded)],
        }


AUDIT_COLUMNS = [
    "sequence",
    "at",
    "actor",
    "action",
    "record_type",
    "record_id",
    "record",
    "changes",
    "reason",
    "request_id",
    "key_id",
    "previous_hash",
    "entry_hash",
    "withheld",
]


def _audit_lines(content: _Content, chain: dict[str, Any]) -> Iterator[bytes]:
    """The audit trail as JSON Lines, each entry with its link in the bundle's own chain."""
    link, count = chain["genesis"], 0
    for entry in content.audit_entries():
        exported = content.exported_entry(entry)
        link = next_link(link, exported)
        count += 1
        yield canonical({"entry": exported, "bundle_link": link}) + b"\n"
    chain["head"], chain["entries"] = link, count


def _audit_cell(name: str) -> Callable[[dict[str, Any]], Any]:
    if name == "changes":
        return lambda entry: json.dumps(entry.get(name), sort_keys=True)
    return lambda entry: entry.get(name)


def _audit_csv(content: _Content) -> Iterator[bytes]:
    columns: list[Column] = [(name, _audit_cell(name)) for name in AUDIT_COLUMNS]
    yield from _csv_chunks(columns, (content.exported_entry(e) for e in content.audit_entries()))


README = """Inspection bundle of {code} ({name}), {label}
Sponsor: {sponsor}. Built for: {audience}.

records/     deviations, root causes, CAPA, batches, milestones, meetings and change orders,
             each as CSV and JSON (times in UTC)
signatures/  every electronic signature given in the period: printed name, time, meaning and
             the SHA-256 of the record version signed
audit/       the program's audit trail for the period (JSON Lines, with a CSV copy to read)
manifest.json  the SHA-256 of every file and the audit chain's anchors

To check it offline (Python 3.9 or later, nothing to install):

    python -I verify_bundle.py

It names the first broken link if any file or audit entry was changed after the bundle was
built. Compare the archive's SHA-256 with the one the portal shows for this bundle.
"""


def write_bundle(job: Job, build: Build) -> str:
    """Write the bundle of `job` through `build`; returns the archive's file name."""
    program = job.program
    assert program is not None
    if not Program.objects.visible_to(job.requested_by).filter(pk=program.pk).exists():
        raise Invalid(PROGRAM_GONE)
    content = _Content(job)
    period = content.period
    folder = bundle_name(program.code, period)
    last = period.last_day
    archive = _Archive(build, folder, (last.year, last.month, last.day, 0, 0, 0))
    tables = content.tables()
    steps = len(tables) + 3
    for number, table in enumerate(tables, start=1):
        build.progress(100 * number // steps, f"Writing {table.name.replace('_', ' ')}")
        where = "signatures" if table.name == "signatures" else "records"
        rows: list[int] = [0]
        archive.write(
            f"{where}/{table.name}.json",
            _json_chunks(table.columns, table.rows().iterator(chunk_size=CHUNK), rows),
        )
        archive.write(
            f"{where}/{table.name}.csv",
            _csv_chunks(table.columns, table.rows().iterator(chunk_size=CHUNK)),
            rows=rows[0],
        )
        archive.files[f"{where}/{table.name}.json"]["rows"] = rows[0]
    build.progress(100 * (len(tables) + 1) // steps, "Writing the audit trail")
    chain: dict[str, Any] = {"genesis": hashlib.sha256(folder.encode()).hexdigest()}
    archive.write(AUDIT_TRAIL, _audit_lines(content, chain))
    archive.files[AUDIT_TRAIL]["rows"] = chain["entries"]
    archive.write("audit/audit_trail.csv", _audit_csv(content), rows=chain["entries"])
    build.progress(100 * (len(tables) + 2) // steps, "Writing the manifest")
    archive.write(VERIFIER, [VERIFIER_SOURCE.read_bytes()])
    audience = "CDMO (internal items included)" if content.internal else "the sponsor"
    archive.write(
        "README.txt",
        [
            README.format(
                code=program.code,
                name=program.name,
                label=period_label(period),
                sponsor=program.sponsor.name,
                audience=audience,
            ).encode()
        ],
    )
    manifest = {
        "format": FORMAT,
        "program": {"code": program.code, "name": program.name, "sponsor": program.sponsor.name},
        "period": {
            "label": period_label(period),
            "first_day": period.start.isoformat(),
            "last_day": period.last_day.isoformat(),
            "site_time_zone": str(periods.clock.site_zone()),
        },
        "audience": access.Audience.INTERNAL if content.internal else access.Audience.SPONSOR,
        "files": archive.files,
        "audit": {
            "bundle_chain": {
                **chain,
                "rule": "link(n) = sha256(link(n-1) + ':' + sha256(canonical JSON of entry n))",
            },
            "anchors": content.anchors(),
            "server_hashes": "HMAC-SHA256 under the portal's chain key: checked on the server "
            "by manage.py verify_audit, not offline",
        },
        "verifier": f"python -I {VERIFIER}",
    }
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    archive.write(MANIFEST, [text.encode()])
    archive.files.pop(MANIFEST)
    archive.close()
    return f"{folder}.zip"


def bundle_build(job_id: str) -> None:
    """Build the bundle of the job `job_id` (the Celery task's body); done or failed."""
    job = Job.objects.select_related("program__sponsor").filter(pk=job_id).first()
    name = (
        bundle_name(job.program.code, job_period(job)) + ".zip"
        if job and job.program
        else "bundle.zip"
    )
    with job_building(job_id, file_name=name, content_type=CONTENT_TYPE) as build:
        if build is None:
            return
        write_bundle(build.job, build)
