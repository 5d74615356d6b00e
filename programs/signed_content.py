"""What QA's signature of a batch's disposition binds (21 CFR 11.70; docs/batches.md).

The batch's own facts as QA decided them: the lot, the plan, the actual start and release day,
the committed quantity, whether it was reworked and the decision with its reason. Left out, on
purpose: the delivery (`BESIDE`), recorded after the release and audited, and bookkeeping.
The fields are listed, not derived from the model: a column added later does not change what
old signatures bind.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from portal import audit, signatures
from programs.models import Batch

CONTENT_VERSION = 2

BATCH_FIELDS = (
    "program_id",
    "lot_number",
    "product",
    "planned_start",
    "actual_start",
    "planned_release",
    "actual_release",
    "quantity_committed",
    "quantity_unit",
    "reworked",
    "disposition",
    "disposition_at",
    "disposition_by_id",
    "disposition_reason",
)
BESIDE = ("quantity_delivered", "over_delivery_agreed")


def batch_content(record: models.Model) -> dict[str, Any]:
    stored = Batch._base_manager.get(pk=record.pk)
    return {"batch": audit.snapshot(stored, BATCH_FIELDS)}


def register() -> None:
    signatures.register_content(
        Batch, version=CONTENT_VERSION, content=batch_content, beside=BESIDE
    )
