"""The core's scheduled work: anchoring the audit chains outside the database."""

from __future__ import annotations

from portal import audit_checkpoints
from portal.transactions import service_task


@service_task(OSError)
def anchor_audit_chains() -> int | None:
    """Append a checkpoint of the audit chains' heads (Celery beat, every 15 minutes); returns
    its number, or None when no chain moved."""
    checkpoint = audit_checkpoints.write()
    return checkpoint.number if checkpoint else None
