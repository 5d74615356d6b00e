"""What a signature of a deviation binds (21 CFR 11.70; docs/signatures.md, docs/deviations.md).

A deviation is signed as the whole record a QA reviewer or an inspector reads: the deviation's
own facts, its impact assessment (with the milestones it affects), its closure, its root causes
and its CAPA actions (with their status and effectiveness check). Left out, on purpose:

- the sponsor's acknowledgement (`ACKNOWLEDGEMENT_FIELDS`): the sponsor's confirmation that it
  was told, recorded beside the record and not a change of what QA signed;
- bookkeeping: the optimistic-lock `version` and `created_at`;
- extension requests: each approval is a signature of its own, and its result (the
  investigation's due date) is part of the deviation's facts.

The fields are listed, not derived from the models: a column added later does not change what
old signatures bind. Changing the lists means a new `CONTENT_VERSION`, with this definition kept
registered under its number so that signatures made under it are still checked by it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from deviations.models import CAPA, Deviation, RootCause
from portal import audit, signatures

CONTENT_VERSION = 2

DEVIATION_FIELDS = (
    "reference",
    "program_id",
    "title",
    "description",
    "classification",
    "status",
    "occurred_at",
    "aware_at",
    "logged_by_id",
    "notification_due",
    "sponsor_notified_at",
    "seconds_to_notify",
    "investigation_due",
)
IMPACT_FIELDS = (
    "impact_product_quality",
    "impact_other_batches",
    "impact_timeline",
    "impact_cost",
)
CLOSURE_FIELDS = ("closed_at", "closure_reason", "no_capa_rationale")
ROOT_CAUSE_FIELDS = ("id", "category", "description")
CAPA_FIELDS = (
    "number",
    "kind",
    "description",
    "owner_id",
    "due_date",
    "due_justification",
    "status",
    "completed_at",
    "effectiveness_check",
    "effectiveness_checked_on",
)
ACKNOWLEDGEMENT_FIELDS = (
    "sponsor_acknowledged_at",
    "sponsor_acknowledged_by_id",
    "seconds_to_acknowledge",
)


def deviation_content(record: models.Model) -> dict[str, Any]:
    """The deviation as stored, with its parts in a stable order: root causes by id, CAPA
    actions by number, affected milestones by id. Five queries, whatever the record holds."""
    stored = Deviation._base_manager.get(pk=record.pk)
    milestones = stored.affected_milestones.order_by("pk").values_list("pk", flat=True)
    causes = RootCause._base_manager.filter(deviation_id=stored.pk).order_by("id")
    capas = CAPA._base_manager.filter(deviation_id=stored.pk).order_by("number")
    lots = stored.batches.order_by("lot_number").values_list("lot_number", flat=True)
    return {
        # `batch` was a text field until the lots became links: the same key and shape, so a
        # signature made over it stays current (deviations migration 0006).
        "deviation": audit.snapshot(stored, DEVIATION_FIELDS) | {"batch": ", ".join(lots)},
        "impact": {**audit.snapshot(stored, IMPACT_FIELDS), "affected_milestones": [*milestones]},
        "closure": audit.snapshot(stored, CLOSURE_FIELDS),
        "root_causes": [audit.snapshot(cause, ROOT_CAUSE_FIELDS) for cause in causes],
        "capas": [audit.snapshot(capa, CAPA_FIELDS) for capa in capas],
    }


def register() -> None:
    signatures.register_content(
        Deviation,
        version=CONTENT_VERSION,
        content=deviation_content,
        beside=ACKNOWLEDGEMENT_FIELDS,
    )
