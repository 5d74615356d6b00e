"""Reads for programs, always starting from what the user may see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from portal.models import User
from programs.models import Event, Program, ProgramMember


def with_people(queryset: QuerySet[Program]) -> QuerySet[Program]:
    return queryset.select_related("sponsor").prefetch_related(
        Prefetch(
            "members",
            queryset=ProgramMember.objects.active().select_related("user"),
            to_attr="active_members",
        )
    )


def program_list(*, user: User) -> QuerySet[Program]:
    return with_people(Program.objects.visible_to(user))


def get_program_for_user(user: User, code: str) -> Program:
    """The program, with its people, if the user may see it; otherwise 404 (never 403)."""
    program = with_people(Program.objects.visible_to(user)).filter(code=code).first()
    if program is None:
        raise Http404("No such program.")
    return program


def event_list(*, user: User, program: Program | None = None) -> QuerySet[Event]:
    events = Event.objects.visible_to(user).select_related("actor", "program")
    if program is not None:
        events = events.filter(program=program)
    return events


def events_after(*, user: User, after_id: int, limit: int = 200) -> list[Event]:
    """Events the user may see with an id above `after_id`, oldest first (stream catch-up)."""
    return list(
        Event.objects.visible_to(user)
        .select_related("program")
        .filter(id__gt=after_id)
        .order_by("id")[:limit]
    )
