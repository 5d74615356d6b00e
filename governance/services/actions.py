"""Action items: added on their own or from a write-up, marked done by their owner (either
side) or the program's CDMO team, and shared with the sponsor when they began internal."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from governance.agenda import meeting_local_date
from governance.models import ActionItem, Meeting
from governance.services.common import (
    NOT_PROGRAM_TEAM,
    TITLE_REQUIRED,
    check_audience,
    participants,
    require,
)
from portal import bounds
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

ACTION_NOT_OPEN = "This action item is already closed."
NOT_OWNER_OR_TEAM = "Only the action item's owner or the program's CDMO team can mark it done."
MEETING_CANCELLED = "This meeting was cancelled; minutes cannot be recorded for it."
DUE_BEFORE_MEETING = "The due date cannot be before the meeting."
NOT_THIS_PROGRAM = "That meeting belongs to another program."
ALREADY_SHARED = "This action item is already shared with the sponsor."


def action_url(item: ActionItem) -> str:
    return reverse("action-list", args=[item.program.code]) + f"#action-{item.pk}"


def action_item_add(
    *,
    actor: User,
    program: Program,
    meeting: Meeting | None,
    title: str,
    owner: User,
    due_date: datetime.date,
    audience: str,
) -> ActionItem:
    """Insert a checked action item. For services that hold the program's lock already; the
    event carries the item's own audience."""
    item = ActionItem(
        program=program,
        meeting=meeting,
        title=title.strip(),
        owner=owner,
        due_date=due_date,
        audience=audience,
    )
    changes.create(item, actor=actor, program=program)  # the event's link needs its id
    changes.log(
        program=program,
        actor=actor,
        subject=item,
        note=changes.Note(
            verb="action.created",
            summary=(f"Action for {owner.display_name}: {item.title} (due {due_date:%d %b %Y})"),
            url=action_url(item),
        ),
    )
    return item


@atomic_service
def action_item_create(
    *,
    actor: User,
    program: Program,
    title: str,
    owner: User,
    due_date: datetime.date,
    meeting: Meeting | None = None,
    audience: str = Audience.INTERNAL,
) -> ActionItem:
    """An action item outside a write-up (or added to a meeting's after the fact)."""
    require(actor, Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
    bounds.check(due_date=due_date)
    if not title.strip():
        raise Invalid(TITLE_REQUIRED, field="title")
    participants(program, [owner], "owner")
    check_audience(audience, owner)
    if meeting is not None:
        if meeting.program_id != program.pk:
            raise Invalid(NOT_THIS_PROGRAM, field="meeting")
        if meeting.status == Meeting.Status.CANCELLED:
            raise Invalid(MEETING_CANCELLED, field="meeting")
        if due_date < meeting_local_date(meeting):
            raise Invalid(DUE_BEFORE_MEETING, field="due_date")
    locked = changes.lock_program(program.pk)
    return action_item_add(
        actor=actor,
        program=locked,
        meeting=meeting,
        title=title,
        owner=owner,
        due_date=due_date,
        audience=audience,
    )


def _lock_item(item: ActionItem) -> ActionItem:
    return (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("program", "owner")
        .get(pk=item.pk)
    )


@atomic_service
def action_item_complete(*, actor: User, item: ActionItem) -> ActionItem:
    """Mark an action item done: its owner (either side) or the program's CDMO team."""
    require(actor, Action.COMPLETE_ACTION_ITEM, item.program, NOT_OWNER_OR_TEAM, obj=item)
    locked = changes.lock_program(item.program_id)
    item = _lock_item(item)
    if item.status != ActionItem.Status.OPEN:
        raise Conflict(ACTION_NOT_OPEN)
    changes.update(
        item,
        actor=actor,
        program=locked,
        values={"status": ActionItem.Status.DONE, "completed_at": timezone.now()},
        note=changes.Note(verb="action.done", summary=f"Done: {item.title}", url=action_url(item)),
    )
    return item


@atomic_service
def action_item_share(*, actor: User, item: ActionItem) -> ActionItem:
    """Share an internal action item with the sponsor: an audited step that the sponsor's
    open pages then receive."""
    require(actor, Action.SHARE, item.program, NOT_PROGRAM_TEAM)
    locked = changes.lock_program(item.program_id)
    item = _lock_item(item)
    if item.audience == Audience.SPONSOR:
        raise Conflict(ALREADY_SHARED)
    changes.update(
        item,
        actor=actor,
        program=locked,
        values={"audience": Audience.SPONSOR},
        note=changes.Note(
            verb="action.shared",
            summary=(
                f"Action for {item.owner.display_name}: {item.title} "
                f"(due {item.due_date:%d %b %Y}), shared with the sponsor"
            ),
            audience=Audience.SPONSOR,
            url=action_url(item),
        ),
    )
    return item
