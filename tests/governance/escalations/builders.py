"""Escalations for tests: raised through the services, as the portal does."""

from __future__ import annotations

from governance.escalations.models import Escalation
from governance.escalations.services import concern_raise, issue_raise


def concern(world, title: str = "Release date keeps moving") -> Escalation:
    return concern_raise(actor=world.lead_a, program=world.program, title=title, detail="Why?")


def issue(world, title: str = "Resin supply at risk") -> Escalation:
    return issue_raise(actor=world.pm, program=world.program, title=title)
