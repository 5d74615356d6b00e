"""The site calendar: holidays that are not business days for any clock window.

CDMO leadership keeps them here (DESIGN §2: business days follow the site's calendar); every
addition and removal is audited and clears the clock's shared cache, so that web processes and
Celery workers count the same days from the next request on.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from portal import access, audit, bounds, clock
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, SiteHoliday, User

NOT_CALENDAR_KEEPER = "Only CDMO leadership keeps the site calendar."
ALREADY_A_HOLIDAY = "{day} is already a site holiday."
NAME_REQUIRED = "Name the holiday, e.g. 'Christmas Day'."
REASON_REQUIRED = "Say why the holiday is removed: deadlines already counted move with it."


def may_keep_calendar(user: Any) -> bool:
    return access.is_leadership(user)


def site_holiday_list(*, user: Any) -> QuerySet[SiteHoliday]:
    """Every CDMO user may read the site calendar; sponsors see it through the due dates."""
    if not access.is_cdmo(user):
        return SiteHoliday.objects.none()
    return SiteHoliday.objects.all()


def site_holiday_add(*, actor: User, day: datetime.date, name: str) -> SiteHoliday:
    if not may_keep_calendar(actor):
        raise NotAllowed(NOT_CALENDAR_KEEPER)
    bounds.check(day=day)
    name = name.strip()
    if not name:
        raise Invalid(NAME_REQUIRED, field="name")
    holiday = SiteHoliday(day=day, name=name)
    try:
        holiday.full_clean(validate_unique=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Invalid(messages[0], field=field) from None
    try:
        with transaction.atomic():
            holiday.save()
            audit.record_create(actor=actor, instance=holiday)
    except IntegrityError:
        raise Conflict(ALREADY_A_HOLIDAY.format(day=f"{day:%d %b %Y}"), field="day") from None
    transaction.on_commit(clock.forget_holidays)
    return holiday


def site_holiday_remove(*, actor: User, holiday: SiteHoliday, reason: str) -> None:
    if not may_keep_calendar(actor):
        raise NotAllowed(NOT_CALENDAR_KEEPER)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    with transaction.atomic():
        last = audit.snapshot(holiday)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            instance=holiday,
            changes={name: [value, None] for name, value in last.items()},
            reason=reason,
        )
        holiday.delete()
    transaction.on_commit(clock.forget_holidays)
