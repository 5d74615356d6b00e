"""Updates: posting, sharing a draft with the sponsor, announcing events, delivering
notifications, and the read receipts and notifications that follow them."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from comms.models import Notification, Update, UpdateRead
from comms.services.common import require
from portal import access
from portal.access import Action, Audience
from portal.errors import Conflict, NotAllowed
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.changes import Note
from programs.models import Event, Program

NOT_PROGRAM_TEAM = "Only the program's CDMO team can post updates."
ALREADY_PUBLISHED = "This update is already visible to the sponsor."
NOT_YOUR_NOTIFICATION = "That notification is not yours."
EVENT_CATEGORIES = {
    Event.Kind.MILESTONE: Update.Category.MILESTONE,
    Event.Kind.COST: Update.Category.FINANCIAL,
}


def update_url(update: Update) -> str:
    return reverse("program-detail", args=[update.program.code]) + f"#update-{update.pk}"


def _update_note(update: Update, verb: str) -> Note:
    return Note(
        verb=verb,
        summary=f"{update.get_significance_display()} update: {update.title}",
        significance=update.significance,
        url=update_url(update),
    )


@atomic_service
def update_post(
    *,
    actor: User,
    program: Program,
    title: str,
    body: str,
    category: str = Update.Category.GENERAL,
    significance: str = Update.Significance.INFO,
    audience: str = Audience.SPONSOR,
) -> Update:
    """Post an update. Sponsor-audience updates are published at once and notified; an
    internal one is a draft until `update_publish` shares it."""
    program = changes.lock_program(program.pk)
    require(actor, Action.POST_UPDATE, program, NOT_PROGRAM_TEAM)
    update = Update(
        program=program,
        title=title.strip(),
        body=body.strip(),
        category=category,
        significance=significance,
        audience=audience,
        author=actor,
        published_at=timezone.now() if audience == Audience.SPONSOR else None,
    )
    changes.create(update, actor=actor, program=program, react=False)
    changes.log(
        program=program,
        actor=actor,
        note=_update_note(update, "update.posted"),
        subject=update,
        react=False,
    )
    return update


@atomic_service
def update_publish(*, actor: User, update: Update) -> Update:
    """Share an internal draft with the sponsor: an audited step, told to the sponsor's live
    pages, and what starts their notification."""
    program = changes.lock_program(update.program_id)
    require(actor, Action.SHARE, program, NOT_PROGRAM_TEAM)
    update = Update.objects.select_for_update().get(pk=update.pk)
    update.program = program
    if update.audience == Audience.SPONSOR:
        raise Conflict(ALREADY_PUBLISHED)
    changes.update(
        update,
        actor=actor,
        program=program,
        values={"audience": Audience.SPONSOR, "published_at": timezone.now()},
        note=_update_note(update, "update.published"),
        react=False,
    )
    return update


@atomic_service
def update_announce_event(*, event_id: int) -> Update | None:
    """Post the update an announced event asked for (a milestone slip, say), once: the update's
    unique link to its event makes a repeated task or sweep a no-op. The event itself is
    already in the stream, so the update adds none."""
    program_id = (
        Event.objects.filter(pk=event_id, announce=True, audience=Audience.SPONSOR)
        .values_list("program_id", flat=True)
        .first()
    )
    if program_id is None:
        return None
    program = changes.lock_program(program_id)
    event = Event.objects.select_for_update(of=("self",)).select_related("actor").get(pk=event_id)
    if Update.objects.filter(source_event=event).exists():
        return None
    update = Update(
        program=program,
        title=event.summary[:200],
        body=event.detail or event.summary,
        category=EVENT_CATEGORIES.get(event.kind, Update.Category.GENERAL),
        significance=event.significance,
        audience=Audience.SPONSOR,
        author=event.actor,
        published_at=timezone.now(),
        source_event=event,
    )
    changes.create(update, actor=event.actor, program=program, react=False)
    return update


def update_reads_record(*, user: User, updates: Iterable[Update]) -> int:
    """Record that a sponsor user has seen these updates (the caller got them from a selector,
    so the user may see them). Nothing to write, no transaction: a repeat visit costs nothing,
    since the `read_by_me` annotation of `selectors.with_conversation` says what is recorded.
    Idempotent by the unique (update, user) key."""
    if not access.is_sponsor(user):
        return 0
    unread = [
        update
        for update in updates
        if update.audience == Audience.SPONSOR and not getattr(update, "read_by_me", False)
    ]
    if unread:
        _reads_insert(user=user, updates=unread)
    return len(unread)


@atomic_service
def _reads_insert(*, user: User, updates: list[Update]) -> None:
    """One INSERT for a whole page. Not an event (that would wake every open page of the
    program for nothing), but a change to the program's data: its version moves, so the
    team's read receipts are not served stale."""
    for program_id in sorted({update.program_id for update in updates}):
        changes.touch(changes.lock_program(program_id), react=False)
    UpdateRead.objects.bulk_create(
        [UpdateRead(update_id=update.pk, user=user) for update in updates], ignore_conflicts=True
    )


@atomic_service
def notification_open(*, user: User, notification: Notification) -> None:
    """The recipient followed a notification: it is read, and so is the update it announced."""
    if notification.recipient_id != user.pk:
        raise NotAllowed(NOT_YOUR_NOTIFICATION)
    if notification.update is not None:
        update_reads_record(user=user, updates=[notification.update])
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
