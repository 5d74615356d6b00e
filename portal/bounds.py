"""Bounded values: what the portal accepts, so that every page can show what it stored.

Every way in applies the same bounds: the validators below sit on the model fields (so a
service's `full_clean()`, the admin's model forms and DRF's model serializers refuse), on the
form and serializer fields that are not model-backed (`portal.forms`, `portal.api.serializers`),
on query parameters that parse dates, and `check()` guards a service's own parameters before it
computes with them. A refusal is a 400 naming the field; nothing is written.

**Dates** lie in one window, `EARLIEST_DATE` 1 January 1990 to `LATEST_DATE` 31 December 2100;
a moment (date and time) lies in the same window read in UTC. Why these ends:

- wide enough: records migrated from the systems of the 1990s (21 CFR Part 11 dates from 1997;
  paper records before it are not entered here), and plans decades ahead (a commercial supply
  agreement runs 10 to 20 years; 2100 leaves room for any plan made today);
- narrow enough that every computation on a stored date works: a time-zone conversion moves a
  moment by at most 14 hours, far from Python's years 1 and 9999 (the 500s of issue 9 came
  from there); a business-day or calendar-day window adds at most `MAX_WINDOW` days; a slip is
  the difference of two dates in the window (40,541 days at most); the timeline's scale spans at
  most 111 years; and the seconds from awareness to notification of a deviation fit the 32-bit
  column that holds them (68 years) for anything logged before 2058.

**Text.** A single-line field (a title, a name, a lot number) holds printable text: no C0 or C1
control character (line breaks and tabs included) and no Unicode line or paragraph separator,
since a title travels into email subjects, calendar invites, CSV cells and SVG labels. A
multi-line field (a description, a body, minutes) may hold line breaks (LF, and the CR that
browsers send before it) and tabs, and no other control character. Neither holds a lone
surrogate, which no database can store.

**Amounts** are `DECIMAL(AMOUNT_DIGITS, AMOUNT_PLACES)`: at most 999,999,999,999.99 either way.
A total is output with `TOTAL_DIGITS`, enough for `LINES_PER_TOTAL` lines at the largest amount.

Rows stored before these bounds existed are not changed (a regulated record is never rewritten
silently): the bounds apply to new writes, and a change validates the fields it changes
(`programs.changes.update`), so an old out-of-window value does not block other changes.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MaxValueValidator, RegexValidator
from django.utils.deconstruct import deconstructible

from portal.errors import Invalid

# --- Dates ----------------------------------------------------------------------------------

EARLIEST_DATE = datetime.date(1990, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
EARLIEST_MOMENT = datetime.datetime.combine(EARLIEST_DATE, datetime.time(), tzinfo=datetime.UTC)
LATEST_MOMENT = datetime.datetime.combine(LATEST_DATE, datetime.time.max, tzinfo=datetime.UTC)

WINDOW = "from 1 January 1990 to 31 December 2100"
DATE_OUT_OF_WINDOW = f"Enter a date {WINDOW}."
MOMENT_OUT_OF_WINDOW = f"Enter a date and time {WINDOW} (UTC)."
DATE_HELP = f"A date {WINDOW}."
MOMENT_HELP = f"A date and time {WINDOW} (UTC)."
# The window as a pattern over ISO dates (YYYY-MM-DD), for the API schema.
DATE_PATTERN = r"^(199[0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"


def validate_date(value: datetime.date) -> None:
    """A date in the window (a datetime is judged by its moment: `validate_moment`)."""
    if isinstance(value, datetime.datetime):
        validate_moment(value)
    elif not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(DATE_OUT_OF_WINDOW, code="date_out_of_window")


def validate_moment(value: datetime.datetime) -> None:
    """An aware moment in the window, read in UTC (a naive one, as UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=datetime.UTC)
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        raise ValidationError(MOMENT_OUT_OF_WINDOW, code="date_out_of_window")


# --- Windows counted on the clock (quality agreements) ---------------------------------------

MAX_WINDOW = 3650
"""The longest window a quality agreement may set, in its unit (ten years of days)."""


# --- Text ------------------------------------------------------------------------------------

# Raw strings: the escapes are the regular expression's, so that drf-spectacular can copy the
# pattern into the API schema (it anchors with \A…\Z turned into ^…$). Lone surrogates are
# refused apart: a schema's pattern cannot name them (regular-expression engines that read
# Unicode scalar values, such as Rust's, refuse the range and so drop the whole pattern).
_LINE = r"\A[^\x00-\x1f\x7f-\x9f\u2028\u2029]*\Z"
_TEXT = r"\A[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*\Z"
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

LINE_REFUSED = "Use one line of printable text: remove the {what} (U+{code:04X})."
TEXT_REFUSED = (
    "Remove the {what} (U+{code:04X}): text may hold line breaks and tabs, but no other "
    "control characters."
)
LINE_HELP = "One line of printable text: no line breaks, tabs or control characters."
TEXT_HELP = "Line breaks and tabs are kept; other control characters are refused."


def _what(character: str, multiline: bool) -> str:
    if "\ud800" <= character <= "\udfff":
        return "invalid character"
    if not multiline and character in _LINE_BREAKS:
        return "line break"
    if not multiline and character == "\t":
        return "tab"
    return "control character"


@deconstructible(path="portal.bounds.PrintableValidator")
class PrintableValidator(RegexValidator):
    """Refuses control characters, naming the first one found. A `RegexValidator`, so that
    the API schema states the rule as the field's `pattern`."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline
        self.template = TEXT_REFUSED if multiline else LINE_REFUSED
        self.allowed = re.compile(_TEXT if multiline else _LINE)
        super().__init__(self.allowed.pattern, code="control_character")

    def __call__(self, value: Any) -> None:
        text = str(value)
        if self.allowed.search(text) and not _SURROGATE.search(text):
            return
        bad = next(c for c in text if not self.allowed.search(c) or _SURROGATE.match(c))
        message = self.template.format(what=_what(bad, self.multiline), code=ord(bad))
        raise ValidationError(message, code=self.code, params={"value": value})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrintableValidator) and self.multiline == other.multiline

    def __hash__(self) -> int:
        return hash((PrintableValidator, self.multiline))


validate_line = PrintableValidator()
"""Titles, names, lot numbers: one line of printable text."""
validate_text = PrintableValidator(multiline=True)
"""Descriptions, bodies, minutes, reasons: line breaks and tabs, no other control character."""


# --- Amounts ---------------------------------------------------------------------------------

AMOUNT_DIGITS = 14
AMOUNT_PLACES = 2
MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount a column holds, either way (a change order may be negative)."""
LINES_PER_TOTAL = 10**9
"""How many lines a total is sized for: more cost lines, change orders or invoices than any
program will hold."""
TOTAL_DIGITS = 26
"""A total's digits: the largest amount (12 integer digits) times `LINES_PER_TOTAL` (9 more)
fits its 24 integer digits with room to spare, and stays within the 28 significant digits of
Python's decimal arithmetic, so that a sum is never rounded."""

validate_amount = DecimalValidator(AMOUNT_DIGITS, AMOUNT_PLACES)


# --- For model fields: `validators=bounds.LINE` ------------------------------------------------

LINE = (validate_line,)
TEXT = (validate_text,)
DATE = (validate_date,)
MOMENT = (validate_moment,)
WINDOW_COUNT = (MaxValueValidator(MAX_WINDOW),)


# --- A service's own parameters --------------------------------------------------------------


def check(**values: datetime.date | Decimal | None) -> None:
    """Refuse a service's parameter outside its bounds, as `Invalid` naming it: for a value
    the service computes with before its row is validated, or one that is no model field.
    Dates, moments and amounts; None is left to the service's own rules."""
    for field, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime.date):
            validator: Any = validate_date
        elif isinstance(value, Decimal):
            validator = validate_amount
        else:
            raise TypeError(f"No bounds for {field}={value!r}.")
        try:
            validator(value)
        except ValidationError as exc:
            raise Invalid(exc.messages[0], field=field) from None


def check_lines(**values: str) -> None:
    """Refuse a one-line text parameter with a control character, as `Invalid` naming it: for
    text that reaches its row under another name (an action item of a meeting's write-up)."""
    for field, value in values.items():
        try:
            validate_line(value)
        except ValidationError as exc:
            raise Invalid(exc.messages[0], field=field) from None
