"""Helpers for deviation tests: a deviation of sponsor A's program, logged by its PM."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from deviations.models import Deviation
from deviations.services import lifecycle, reporting
from tests.factories import PASSWORD


def log_deviation(world, *, classification: str = "major", program=None, **fields) -> Deviation:
    now = timezone.now()
    values = {
        "title": "Filter integrity test failed",
        "description": "Post-use integrity test of the sterilising filter failed.",
        "classification": classification,
        "occurred_at": now - datetime.timedelta(hours=2),
        "aware_at": now - datetime.timedelta(hours=1),
    }
    values.update(fields)
    return reporting.deviation_log(actor=world.pm, program=program or world.program, **values)


def move(world, deviation: Deviation, *path: str, actor=None, **kwargs) -> Deviation:
    """Walk the deviation along `path` as QA of its program (or `actor`), signing where the
    step needs it."""
    for target in path:
        deviation.refresh_from_db()
        extra = dict(kwargs)
        if lifecycle.needs_signature(deviation, target):
            extra.setdefault("password", PASSWORD)
        if target == Deviation.Status.CANCELLED:
            extra.setdefault("reason", "Logged twice")
        if target == Deviation.Status.CLOSED:
            extra.setdefault("no_capa_rationale", "One-off; no systemic cause")
        deviation = lifecycle.deviation_transition(
            actor=actor or world.qa,
            deviation=deviation,
            to=target,
            expected_version=deviation.version,
            **extra,
        )
    return deviation


@pytest.fixture
def deviation(world) -> Deviation:
    return log_deviation(world)
