"""The bounds every way in applies (portal/bounds.py): the date window, the two text rules, the
amounts, and a service's own parameters."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal import bounds
from portal.errors import Invalid

DAY = datetime.timedelta(days=1)
MICROSECOND = datetime.timedelta(microseconds=1)


def _refused(validator, value) -> list[str]:
    try:
        validator(value)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("day", [bounds.EARLIEST_DATE, bounds.LATEST_DATE])
def test_the_first_and_last_days_of_the_window_are_accepted(day):
    assert _refused(bounds.validate_date, day) == []


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(1, 1, 1),
        bounds.EARLIEST_DATE - DAY,
        bounds.LATEST_DATE + DAY,
        datetime.date(9999, 12, 31),
    ],
)
def test_a_day_outside_the_window_is_refused_naming_the_window(day):
    assert _refused(bounds.validate_date, day) == [
        "Enter a date from 1 January 1990 to 31 December 2100."
    ]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_a_moment_is_in_the_window_by_its_instant_whatever_its_zone(zone):
    tz = zoneinfo.ZoneInfo(zone)
    first, last = bounds.EARLIEST_MOMENT.astimezone(tz), bounds.LATEST_MOMENT.astimezone(tz)

    assert _refused(bounds.validate_moment, first) == []
    assert _refused(bounds.validate_moment, last) == []
    assert _refused(bounds.validate_moment, first - MICROSECOND) == [bounds.MOMENT_OUT_OF_WINDOW]
    assert _refused(bounds.validate_moment, last + MICROSECOND) == [bounds.MOMENT_OUT_OF_WINDOW]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("year", [1, 9999])
def test_a_moment_that_cannot_even_be_converted_to_utc_is_refused_not_raised(zone, year):
    moment = datetime.datetime(year, 1 if year == 1 else 12, 1, tzinfo=zoneinfo.ZoneInfo(zone))

    assert _refused(bounds.validate_moment, moment) == [bounds.MOMENT_OUT_OF_WINDOW]


def test_a_date_validator_given_a_moment_judges_the_moment():
    late = datetime.datetime(2100, 12, 31, 23, tzinfo=zoneinfo.ZoneInfo("Pacific/Pago_Pago"))

    assert _refused(bounds.validate_date, late) == [bounds.MOMENT_OUT_OF_WINDOW]


def test_every_date_computation_the_portal_makes_stays_inside_pythons_range():
    """A moment at either end, converted to the farthest zones and moved by the longest
    window, is still a datetime; the widest slip still fits the column that shows it."""
    for moment in (bounds.EARLIEST_MOMENT, bounds.LATEST_MOMENT):
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Etc/GMT+12", "Etc/GMT-14"):
            local = moment.astimezone(zoneinfo.ZoneInfo(zone))
            assert local + datetime.timedelta(days=bounds.MAX_WINDOW * 2)
            assert local - datetime.timedelta(days=bounds.MAX_WINDOW * 2)
    assert (bounds.LATEST_DATE - bounds.EARLIEST_DATE).days == 40541


LINE_CASES = [
    ("Line\nbreak", "line break", 0x0A),
    ("Carriage\rreturn", "line break", 0x0D),
    ("Tab\there", "tab", 0x09),
    ("Bell\x07", "control character", 0x07),
    ("NUL\x00", "control character", 0x00),
    ("Delete\x7f", "control character", 0x7F),
    ("C1\x9b", "control character", 0x9B),
    ("Next\x85line", "line break", 0x85),
    ("Line\u2028separator", "line break", 0x2028),
    ("Paragraph\u2029separator", "line break", 0x2029),
    ("Lone\ud800surrogate", "invalid character", 0xD800),
]


@pytest.mark.parametrize(("text", "what", "code"), LINE_CASES)
def test_a_single_line_field_refuses_control_characters_naming_the_first(text, what, code):
    assert _refused(bounds.validate_line, text) == [
        bounds.LINE_REFUSED.format(what=what, code=code)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Plain",
        "Ünïcødé 日本語 עברית العربية 🧪",
        "Quotes \u2018\u2019\u201c\u201d and dashes \u2013\u2014",
        "",
    ],
)
def test_printable_text_in_any_script_is_one_line(text):
    assert _refused(bounds.validate_line, text) == []
    assert _refused(bounds.validate_text, text) == []


def test_a_text_body_keeps_line_breaks_and_tabs():
    body = "First line\r\nsecond\n\tindented\u2028separated"

    assert _refused(bounds.validate_text, body) == []


@pytest.mark.parametrize(
    ("text", "what", "code"),
    [
        ("Bell\x07", "control character", 0x07),
        ("Escape\x1b[31m", "control character", 0x1B),
        ("Form\x0cfeed", "control character", 0x0C),
        ("C1\x85", "control character", 0x85),
        ("Lone\udfffsurrogate", "invalid character", 0xDFFF),
    ],
)
def test_a_text_body_refuses_other_control_characters(text, what, code):
    assert _refused(bounds.validate_text, text) == [
        bounds.TEXT_REFUSED.format(what=what, code=code)
    ]


def test_the_text_validators_survive_a_migration():
    """They are written into migrations: they must deconstruct and compare equal."""
    path, args, kwargs = bounds.validate_text.deconstruct()

    assert path == "portal.bounds.PrintableValidator"
    assert bounds.PrintableValidator(*args, **kwargs) == bounds.validate_text
    assert bounds.PrintableValidator() == bounds.validate_line != bounds.validate_text


def test_the_largest_amount_fits_and_one_more_cent_does_not():
    assert _refused(bounds.validate_amount, bounds.MAX_AMOUNT) == []
    assert _refused(bounds.validate_amount, -bounds.MAX_AMOUNT) == []
    assert _refused(bounds.validate_amount, bounds.MAX_AMOUNT + Decimal("0.01"))
    assert _refused(bounds.validate_amount, Decimal("1.001"))


def test_a_total_of_the_most_lines_at_the_largest_amount_fits_a_total_exactly():
    total = bounds.MAX_AMOUNT * bounds.LINES_PER_TOTAL

    digits = len(total.as_tuple().digits)
    assert digits <= bounds.TOTAL_DIGITS
    assert digits <= 28  # Python's decimal precision: a sum this size is never rounded
    assert sum([bounds.MAX_AMOUNT] * 1000) == bounds.MAX_AMOUNT * 1000


def test_a_services_parameter_out_of_bounds_is_invalid_naming_it():
    with pytest.raises(Invalid) as refused:
        bounds.check(start_date=bounds.EARLIEST_DATE, end_date=datetime.date(9999, 12, 31))

    assert (refused.value.field, refused.value.message) == ("end_date", bounds.DATE_OUT_OF_WINDOW)


def test_a_services_moment_and_amount_are_checked_and_none_is_left_alone():
    bounds.check(held_on=None, aware_at=bounds.LATEST_MOMENT, amount=bounds.MAX_AMOUNT)

    with pytest.raises(Invalid) as refused:
        bounds.check(amount=Decimal("1e15"))
    assert refused.value.field == "amount"


def test_check_refuses_a_value_it_has_no_bound_for():
    with pytest.raises(TypeError):
        bounds.check(title="A title")  # type: ignore[arg-type]


def test_a_one_line_parameter_with_a_control_character_is_invalid_naming_it():
    with pytest.raises(Invalid) as refused:
        bounds.check_lines(**{"action_items.0.title": "Two\nlines"})

    assert refused.value.field == "action_items.0.title"
