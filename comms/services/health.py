"""Re-evaluating a program's health (the rule is `comms.health`)."""

from __future__ import annotations

from comms.health import assess
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program
from programs.services.health import program_health_apply_rule


@atomic_service
def program_health_refresh(*, program_id: int) -> bool:
    """Re-run the health rule for one program and store the verdict if it changed. The program
    row is locked first, like every write (DESIGN §3), and the rule reads under that lock."""
    if not Program.objects.filter(pk=program_id).exists():
        return False
    verdict = assess(changes.lock_program(program_id))
    return program_health_apply_rule(
        program_id=program_id, health=verdict.health, reasons=verdict.reasons
    )
