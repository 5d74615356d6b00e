"""Deviation dates within the window (portal/bounds.py): a year-1 awareness is refused before
the clock computes with it; a deviation stored before the bounds existed still moves on."""

import datetime
import zoneinfo

import pytest

from deviations.models import Deviation
from deviations.services import reporting
from portal.bounds import MOMENT_OUT_OF_WINDOW
from portal.errors import Invalid
from tests.deviations.conftest import log_deviation

YEAR_ONE = datetime.datetime(1, 1, 1, tzinfo=zoneinfo.ZoneInfo("Pacific/Pago_Pago"))


def test_a_year_one_moment_is_refused_naming_it_before_the_clock_runs(world):
    with pytest.raises(Invalid) as refused:
        log_deviation(world, occurred_at=YEAR_ONE, aware_at=YEAR_ONE)

    assert (refused.value.field, refused.value.message) == ("occurred_at", MOMENT_OUT_OF_WINDOW)
    assert not Deviation.objects.exists()


def test_a_deviation_stored_before_the_bounds_is_still_acknowledged(world, deviation):
    old = datetime.datetime(1985, 6, 1, tzinfo=datetime.UTC)
    Deviation.objects.filter(pk=deviation.pk).update(
        title="Legacy\nrecord", occurred_at=old, aware_at=old
    )

    acknowledged = reporting.deviation_acknowledge(actor=world.lead_a, deviation=deviation)

    assert acknowledged.sponsor_acknowledged_by == world.lead_a
    deviation.refresh_from_db()
    assert (deviation.title, deviation.aware_at) == ("Legacy\nrecord", old)
