"""What the governance services share: their common refusals, the people check, attendance
lists and the invite queue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from governance.models import Meeting
from governance.selectors import program_people
from portal import access
from portal.access import Action, Audience
from portal.errors import Invalid, NotAllowed
from portal.models import User
from portal.queue import enqueue_on_commit
from programs import changes
from programs.models import Program

NOT_PROGRAM_TEAM = "Only the program's CDMO team can do that."
NOT_ON_PROGRAM = "{name} is not on this program."
TITLE_REQUIRED = "A title is required."
OWNER_SEES_INTERNAL = (
    "{name} works for the sponsor and cannot see internal items: share it with the sponsor "
    "or choose an owner at the CDMO."
)
UNKNOWN_AUDIENCE = "Choose who may see it: the sponsor too, or the CDMO only."
INVITE_TASK = "governance.tasks.send_meeting_invites"


def require(
    actor: User, action: Action, program: Program, message: str, obj: object = None
) -> None:
    """Refuse with `NotAllowed` (403), keeping the service's own message for the user."""
    if not access.may(actor, action, program, obj):
        raise NotAllowed(message)


def participants(program: Program, users: Iterable[User], field: str) -> list[User]:
    """The given people, each checked to be someone who takes part in this program."""
    wanted = {user.pk: user for user in users}
    if not wanted:
        return []
    allowed = set(program_people(program).filter(pk__in=wanted).values_list("pk", flat=True))
    for pk, user in wanted.items():
        if pk not in allowed:
            raise Invalid(NOT_ON_PROGRAM.format(name=user.display_name), field=field)
    return list(wanted.values())


def check_audience(audience: str, owner: User, *, field: str = "audience") -> None:
    """An internal record cannot belong to someone who may not read it."""
    if audience not in Audience.values:
        raise Invalid(UNKNOWN_AUDIENCE, field=field)
    who = access.viewer(owner)
    if audience == Audience.INTERNAL and (who is None or not who.sees_internal):
        raise Invalid(OWNER_SEES_INTERNAL.format(name=owner.display_name), field=field)


def set_people(
    instance: models.Model,
    field: str,
    people: Iterable[User],
    *,
    actor: User | None,
    program: Program,
) -> bool:
    """Set a list of people (attendees, present): a many-to-many change, audited by the change
    primitive. Returns whether the list changed."""
    return changes.link(instance, actor=actor, program=program, field=field, related=people)


def enqueue_invites(meeting: Meeting) -> None:
    """Invites, updates and cancellations leave after commit, carrying the sequence they
    describe: a task that finds the meeting changed again since leaves it to the newer one."""
    enqueue_on_commit(INVITE_TASK, meeting.pk, meeting.sequence)
