"""Every CSV the portal exports goes through here: streamed, UTF-8, and safe to open.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in
a spreadsheet (CSV injection); such a cell is prefixed with an apostrophe, which spreadsheets
show as text. Sponsors open these exports in Excel: a title typed by anyone must stay text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


class _Echo:
    """A file-like object whose write returns the line, so that csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def csv_response(lines: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Stream `lines` (the header first) as an attachment named `filename`."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([cell(value) for value in line]) for line in lines),
        content_type="text/csv; charset=utf-8",
    )
    safe_name = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "export.csv"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    return response
