"""Calendar quarters of the site calendar, for the quarterly access review: a quarter starts
on 1 January, 1 April, 1 July and 1 October, and "today" is the site's (`portal.clock`)."""

from __future__ import annotations

import datetime


def quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the quarter that contains `day`."""
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def previous_quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the quarter before the one that contains `day`."""
    return quarter_start(quarter_start(day) - datetime.timedelta(days=1))
