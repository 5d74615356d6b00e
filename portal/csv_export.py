"""Every list the portal exports goes through here, as CSV or Excel: safe to open, and the
same rows always give the same bytes.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in
a spreadsheet (CSV injection); such a cell is prefixed with an apostrophe, which spreadsheets
show as text. Sponsors open these exports in Excel: a title typed by anyone must stay text. In
an Excel file numbers and dates keep their type (they cannot be formulas); every text is
neutralised the same way.

CSV streams (`csv_response`, `csv_chunks` for a file written by a job). Excel files are built
with tablib (openpyxl underneath) and then made reproducible: the archive's entry times and
the document's created/modified properties are fixed, so an export of unchanged records is the
same file whenever it is made.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})

CSV = "csv"
XLSX = "xlsx"
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(CONTENT_TYPES)

# What an Excel file says about itself: fixed, so that the bytes depend on the rows only.
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_MOMENT = "2000-01-01T00:00:00Z"
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def xlsx_cell(value: Any) -> Any:
    """A value as an Excel cell: numbers and dates as such, moments as UTC text (Excel has no
    time zones), everything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal | float):
        return value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, datetime.date):
        return value
    return cell(value)


class _Echo:
    """A file-like object whose write returns the line, so that csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(lines: Iterable[Sequence[Any]]) -> Iterator[str]:
    """`lines` (the header first) as CSV text, one line at a time, every cell neutralised."""
    writer = csv.writer(_Echo())
    return (writer.writerow([cell(value) for value in line]) for line in lines)


def safe_file_name(filename: str, default: str = "export.csv") -> str:
    return "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or default


def csv_response(lines: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Stream `lines` (the header first) as an attachment named `filename`."""
    response = StreamingHttpResponse(csv_chunks(lines), content_type=CONTENT_TYPES[CSV])
    response["Content-Disposition"] = f'attachment; filename="{safe_file_name(filename)}"'
    return response


def xlsx_bytes(lines: Iterable[Sequence[Any]], title: str) -> bytes:
    """`lines` (the header first) as one Excel sheet named `title`, reproducibly."""
    import tablib  # openpyxl is loaded only where an Excel file is made

    rows = iter(lines)
    header = [str(name) for name in next(rows, [])]
    dataset = tablib.Dataset(headers=header, title=title[:31] or "Export")
    for line in rows:
        dataset.append([xlsx_cell(value) for value in line])
    return _reproducible_zip(dataset.export(XLSX))


def _reproducible_zip(data: bytes) -> bytes:
    """The same archive with its entries' times and the document's dates fixed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>" + _FIXED_MOMENT.encode() + rb"\g<2>", content)
            info = zipfile.ZipInfo(entry.filename, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()


def xlsx_response(lines: Iterable[Sequence[Any]], filename: str, title: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(lines, title), content_type=CONTENT_TYPES[XLSX])
    name = safe_file_name(filename, "export.xlsx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
