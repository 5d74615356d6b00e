"""The program history's side effects: exports are audited accesses."""

from __future__ import annotations

from portal import audit
from portal.models import AuditEntry, User
from portal.transactions import atomic_service
from programs.models import Program


@atomic_service
def history_export_record(*, actor: User, program: Program, filters: str) -> None:
    """An export of the program's history is an access worth keeping in the audit trail."""
    audit.record(
        actor=actor,
        action=AuditEntry.Action.ACCESS,
        instance=program,
        changes={"export": [None, "history.csv"], "filters": [None, filters]},
        program_id=program.pk,
    )
