"""Writes for updates and notifications."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from comms.models import Notification, Update
from portal import audit, policy
from portal.errors import ServiceError
from portal.models import Membership, User
from portal.queue import enqueue_on_commit
from programs.models import Audience, Event, Program
from programs.services import event_append

NOT_PROGRAM_TEAM = "Only the program's CDMO team can post updates."
ALREADY_PUBLISHED = "This update is already visible to the sponsor."
EVENT_CATEGORIES = {
    Event.Kind.MILESTONE: Update.Category.MILESTONE,
    Event.Kind.COST: Update.Category.FINANCIAL,
}


def _enqueue_delivery(update_id: int) -> None:
    from comms.tasks import deliver_update_notifications  # tasks import this module

    enqueue_on_commit(deliver_update_notifications, update_id)


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
    """Post an update. Sponsor-audience updates are published at once and notified."""
    if not policy.can_post_update(actor, program):
        raise ServiceError(NOT_PROGRAM_TEAM)
    now = timezone.now()
    update = Update(
        program=program,
        title=title.strip(),
        body=body.strip(),
        category=category,
        significance=significance,
        audience=audience,
        author=actor,
        published_at=now if audience == Audience.SPONSOR else None,
    )
    update.full_clean()
    with transaction.atomic():
        update.save()
        audit.record_create(actor=actor, instance=update, program_id=program.pk)
        event_append(
            program=program,
            kind=Event.Kind.UPDATE,
            verb="update.posted",
            summary=f"{update.get_significance_display()} update: {update.title}",
            audience=audience,
            actor=actor,
            url=reverse("program-detail", args=[program.code]) + f"#update-{update.pk}",
        )
        if audience == Audience.SPONSOR:
            _enqueue_delivery(update.pk)
    return update


def update_announce_event(*, event_id: int) -> Update | None:
    """Post the update an announced event asked for (a milestone slip, say), once: the update's
    unique link to its event makes a repeated task or sweep a no-op."""
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("program", "actor")
            .filter(pk=event_id, announce=True, audience=Audience.SPONSOR)
            .first()
        )
        if event is None or Update.objects.filter(source_event=event).exists():
            return None
        update = Update(
            program=event.program,
            title=event.summary[:200],
            body=event.detail or event.summary,
            category=EVENT_CATEGORIES.get(event.kind, Update.Category.GENERAL),
            significance=event.significance,
            audience=Audience.SPONSOR,
            author=event.actor,
            published_at=timezone.now(),
            source_event=event,
        )
        update.full_clean()
        update.save()
        audit.record_create(actor=event.actor, instance=update, program_id=event.program_id)
        _enqueue_delivery(update.pk)
    return update


def update_publish(*, actor: User, update: Update) -> Update:
    """Share an internal draft with the sponsor; this is what starts their notification."""
    if not policy.can_post_update(actor, update.program):
        raise ServiceError(NOT_PROGRAM_TEAM)
    with transaction.atomic():
        update = Update.objects.select_for_update().select_related("program").get(pk=update.pk)
        if update.audience == Audience.SPONSOR:
            raise ServiceError(ALREADY_PUBLISHED)
        before = audit.snapshot(update, ["audience", "published_at"])
        update.audience = Audience.SPONSOR
        update.published_at = timezone.now()
        update.save(update_fields=["audience", "published_at"])
        audit.record_update(
            actor=actor, instance=update, before=before, program_id=update.program_id
        )
        event_append(
            program=update.program,
            kind=Event.Kind.UPDATE,
            verb="update.published",
            summary=f"{update.get_significance_display()} update: {update.title}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("program-detail", args=[update.program.code]) + f"#update-{update.pk}",
        )
        _enqueue_delivery(update.pk)
    return update


def update_notifications_deliver(*, update_id: int) -> int:
    """Create the in-app notification for every sponsor user of the program. Idempotent: the
    unique (recipient, channel, update) key makes a second run create nothing."""
    with transaction.atomic():
        update = (
            Update.objects.select_for_update(of=("self",))
            .select_related("program")
            .filter(pk=update_id, audience=Audience.SPONSOR)
            .first()
        )
        if update is None or update.notified_at is not None:
            return 0
        recipients = User.objects.filter(
            is_active=True,
            membership__organisation_id=update.program.sponsor_id,
            membership__role__in=Membership.SPONSOR_ROLES,
        ).exclude(notifications__update=update, notifications__channel=Notification.Channel.IN_APP)
        url = reverse("program-detail", args=[update.program.code]) + f"#update-{update.pk}"
        subject = f"{update.program.code}: {update.title}"[:250]
        now = timezone.now()
        rows = [
            Notification(
                recipient=recipient,
                channel=Notification.Channel.IN_APP,
                update=update,
                subject=subject,
                url=url,
                sent_at=now,
            )
            for recipient in recipients
        ]
        try:
            with transaction.atomic():
                Notification.objects.bulk_create(rows)
        except IntegrityError:
            rows = []
        update.notified_at = now
        update.save(update_fields=["notified_at"])
    return len(rows)


def notifications_mark_read(*, user: User, ids: list[int]) -> int:
    """Mark the user's own notifications read; someone else's ids are ignored."""
    return (
        Notification.objects.for_recipient(user)
        .unread()
        .filter(pk__in=ids)
        .update(read_at=timezone.now())
    )
