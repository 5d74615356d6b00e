"""Builders for the conversation tests: things to talk about, and people talking."""

from __future__ import annotations

import datetime

from django.utils import timezone

from comms.models import Comment, Update
from comms.services import conversations
from governance.models import Meeting
from portal import clock
from programs.models import Milestone, Program
from tests.factories import UpdateFactory


def shared_update(world, **fields) -> Update:
    fields.setdefault("program", world.program)
    fields.setdefault("author", world.pm)
    return UpdateFactory(**fields)


def draft_update(world, **fields) -> Update:
    return shared_update(world, audience="internal", published_at=None, **fields)


def milestone_on(program: Program, name: str = "Engineering run complete") -> Milestone:
    today = clock.site_today()
    return Milestone.objects.create(
        program=program,
        name=name,
        baseline_date=today + datetime.timedelta(days=30),
        forecast_date=today + datetime.timedelta(days=37),
    )


def meeting_on(program: Program, title: str = "Weekly program call") -> Meeting:
    return Meeting.objects.create(
        program=program, title=title, starts_at=timezone.now() + datetime.timedelta(days=2)
    )


def ask(world, target, body: str = "When does GMP batch 1 start?", asker=None) -> Comment:
    return conversations.comment_post(
        actor=asker or world.lead_a, target=target, body=body, is_question=True
    )


def note(world, target, body: str = "Resin lot 2 is not confirmed yet.", author=None) -> Comment:
    return conversations.comment_post(
        actor=author or world.pm, target=target, body=body, audience="internal"
    )
