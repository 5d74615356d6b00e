"""`manage.py escalations --at 2026-03-02T09:00Z`: what would escalate by then. Changes nothing.

Lists the escalations the sweep would move to their next level by that moment, the subjects
the rules would raise, and the acknowledgement reminders that would go out (docs/escalations.md).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from comms import escalation_rules
from governance.escalations.selectors import effective_levels, look_ahead

BAD_MOMENT = "--at: give an ISO 8601 date and time with a zone, e.g. 2026-03-02T09:00Z."


def parse_moment(value: str) -> datetime.datetime:
    parsed = parse_datetime(value.replace("Z", "+00:00")) if value else None
    if parsed is None or timezone.is_naive(parsed):
        raise CommandError(BAD_MOMENT)
    return parsed


class Command(BaseCommand):
    help = "Show what would escalate by a moment (the sweep and the rules); changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", required=True, help="ISO 8601 date and time with a zone.")

    def handle(self, *args: Any, **options: Any) -> None:
        at = parse_moment(options["at"])
        self.stdout.write(f"By {at.isoformat()}:")
        moving = list(look_ahead(at))
        self.stdout.write(f"{len(moving)} escalation(s) would move up a level")
        levels: dict[int, int] = {}
        for escalation in moving:
            if escalation.program_id not in levels:
                levels[escalation.program_id] = len(effective_levels(escalation.program))
            top = levels[escalation.program_id]
            target = min(escalation.level + 1, top)
            assert escalation.due_at is not None
            self.stdout.write(
                f"  {escalation.reference} {escalation.program.code} level {escalation.level} "
                f"→ {target} (due {escalation.due_at.isoformat()}): {escalation.title}"
            )
        raised = [(rule, c) for rule in escalation_rules.RULES for c in rule.due(at)]
        self.stdout.write(f"{len(raised)} escalation(s) would be raised")
        for rule, candidate in raised:
            self.stdout.write(f"  [{rule.name}] {candidate.title}")
        reminders = escalation_rules.reminders_due(at)
        self.stdout.write(f"{len(reminders)} acknowledgement reminder(s) would go out")
        for deviation in reminders:
            self.stdout.write(f"  {deviation.reference}: {deviation.title}")
