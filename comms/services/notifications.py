"""Notifications: from an activity-stream event to rows for everyone it concerns (the fan-out),
from an email row to a sent message (through `comms.outbox`), and the sweep that finishes
whatever a lost enqueue or a dead worker left.

The hand-off is durable: the writer's transaction leaves the event with `fanned_out_at`
empty, and its after-commit reaction (`programs.changes._Reaction`) asks for the fan-out. If
the broker is down at that moment the request still succeeds, and the sweep (Celery beat,
every minute) fans the event out once the broker is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from comms import emails, outbox, recipients
from comms.models import DigestSchedule, Notification, NotificationPreference, Timing
from portal import audit, live
from portal.errors import Invalid
from portal.models import AuditEntry, User
from portal.queue import enqueue_on_commit
from portal.transactions import atomic_service
from programs.models import Event

logger = logging.getLogger(__name__)

EMAIL_TASK = "comms.tasks.deliver_notification_emails"
SWEEP_BATCH = 500

# The subject a notification row names, when the event is about one (read receipts and the
# older notification paths key on them).
_SUBJECT_FIELDS = {"comms.update": "update_id", "comms.comment": "comment_id"}


def _event_url(event: Event) -> str:
    return event.url or reverse("program-detail", args=[event.program.code])


def _timings(users: Iterable[User], event: Event) -> dict[int, str]:
    """Each recipient's email timing for this event: one query for their preferences."""
    ids = [user.pk for user in users]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, kind=event.kind).values_list(
            "user_id", "timing"
        )
    )
    paused = set(
        User.objects.filter(pk__in=ids, digest_schedule__enabled=False).values_list("pk", flat=True)
    )
    timings = {}
    for pk in ids:
        timing = NotificationPreference.timing_for(chosen.get(pk), event.significance)
        if timing in (Timing.DAILY, Timing.WEEKLY) and pk in paused:
            timing = Timing.OFF
        timings[pk] = timing
    return timings


def _stream_consumers() -> list[Callable[..., object]]:
    """What else hears each event, in the fan-out's transaction (settings.ACTIVITY_STREAM_CONSUMERS:
    the sponsors' webhooks), so that it is as durable as the notifications: an event whose
    hand-off was lost reaches them through the sweep too."""
    return [import_string(path) for path in settings.ACTIVITY_STREAM_CONSUMERS]


@atomic_service
def event_fan_out(*, event_id: int) -> int:
    """Turn one event into in-app and email notifications for everyone it concerns (see
    `comms.recipients`), once. The event's row lock serialises concurrent fan-outs of it;
    `fanned_out_at` makes a repeat a no-op, and the unique (event, recipient, channel) key
    is the last guard. Returns the number of notification rows written."""
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("program", "actor")
        .filter(pk=event_id, fanned_out_at__isnull=True)
        .first()
    )
    if event is None:
        return 0
    people = recipients.recipients(recipients.Context(event=event, program=event.program))
    timings = _timings(people, event)
    subject = f"{event.program.code}: {event.summary}"[:250]
    about = {}
    if event.subject_type in _SUBJECT_FIELDS and event.subject_id.isdigit():
        about[_SUBJECT_FIELDS[event.subject_type]] = int(event.subject_id)
    now = timezone.now()
    rows = []
    for person in people:
        common = {
            "recipient": person,
            "event": event,
            "subject": subject,
            "url": _event_url(event),
            "significance": event.significance,
            **about,
        }
        rows.append(Notification(channel=Notification.Channel.IN_APP, sent_at=now, **common))
        if timings[person.pk] != Timing.OFF:
            rows.append(
                Notification(
                    channel=Notification.Channel.EMAIL, timing=timings[person.pk], **common
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    for consume in _stream_consumers():
        consume(event_ids=[event.pk])
    Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
    emails_now = list(
        Notification.objects.filter(
            event=event, channel=Notification.Channel.EMAIL, timing=Timing.IMMEDIATELY
        ).values_list("pk", flat=True)
    )
    if emails_now:
        enqueue_on_commit(EMAIL_TASK, emails_now)
    bell = [person.pk for person in people]
    if bell:
        transaction.on_commit(lambda: live.ring(bell))
    return len(rows)


def events_fan_out(*, event_ids: Iterable[int]) -> int:
    """Fan out each event in its own transaction (one failure leaves the others done).
    Returns the number of notification rows written."""
    return sum(event_fan_out(event_id=pk) for pk in sorted(set(event_ids)))


def _emails() -> QuerySet[Notification]:
    """The email rows the outbox sends one by one (digest rows go in their digest)."""
    return Notification.objects.filter(
        channel=Notification.Channel.EMAIL, timing=Timing.IMMEDIATELY, recipient__is_active=True
    ).select_related("recipient", "event__program", "event__actor", "comment")


def notification_emails_deliver(*, notification_ids: Iterable[int]) -> int:
    """Send these email notifications over one SMTP connection, each exactly once (see
    `comms.outbox` for the guarantee). A failed send raises after releasing its row, so the
    task's retry sends it and whatever came after it; what was sent is not sent again."""
    connection = get_connection()  # opened by the first send, after the rows are claimed
    try:
        return outbox.deliver_many(
            _emails(),
            notification_ids,
            lambda row: emails.notification_email(row, connection=connection).send(),
        )
    finally:
        connection.close()


def notifications_sweep() -> tuple[int, int]:
    """What beat runs every minute: fan out the events whose hand-off was lost, and send the
    emails no task sent (the broker was down, or a worker died holding a claim whose lease has
    run out). Set-based: both reads walk partial indexes of what is waiting, never the whole
    stream. Returns (notification rows written, emails sent)."""
    grace = timedelta(seconds=settings.OUTBOX_GRACE_SECONDS)
    waiting_events = list(
        Event.objects.filter(fanned_out_at__isnull=True, at__lt=timezone.now() - grace)
        .order_by("id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    fanned = events_fan_out(event_ids=waiting_events)
    waiting_emails = list(
        outbox.waiting(_emails(), older_than=grace)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return fanned, notification_emails_deliver(notification_ids=waiting_emails)


# --- A person's own inbox and preferences ---------------------------------------------------
# Not program records: neither told to a program's stream nor locked under a program. The
# preferences are audited on the global chain, since they decide what a person was told.

UNKNOWN_KIND = "Unknown kind of event."
UNKNOWN_TIMING = "Choose immediately, daily digest, weekly digest or off."
BAD_HOUR = "The digest hour is a whole hour from 0 to 23."
BAD_WEEKDAY = "The weekly digest day is a weekday from Monday to Sunday."


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own in-app notifications read: these ids (someone else's are ignored),
    or all of them. Their other tabs' bells ring, so every count agrees."""
    unread = Notification.objects.for_recipient(user).in_app().unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    count = unread.update(read_at=timezone.now())
    if count:
        live.ring([user.pk])
    return count


@atomic_service
def notification_preferences_save(
    *,
    user: User,
    timings: Mapping[str, str],
    hour: int,
    weekday: int,
    digests_enabled: bool,
) -> None:
    """Set the user's email timing per kind of event (an empty timing returns the kind to the
    default of each event's significance) and when their digests go out."""
    for kind, timing in timings.items():
        if kind not in Event.Kind.values:
            raise Invalid(UNKNOWN_KIND, field=kind)
        if timing and timing not in Timing.values:
            raise Invalid(UNKNOWN_TIMING, field=kind)
    if not 0 <= hour <= 23:
        raise Invalid(BAD_HOUR, field="hour")
    if not 0 <= weekday <= 6:
        raise Invalid(BAD_WEEKDAY, field="weekday")
    current = {
        p.kind: p for p in NotificationPreference.objects.select_for_update().filter(user=user)
    }
    for kind, timing in sorted(timings.items()):
        preference = current.get(kind)
        if not timing:
            if preference is not None:
                audit.record(
                    actor=user,
                    action=AuditEntry.Action.DELETE,
                    instance=preference,
                    changes={"timing": [preference.timing, None]},
                )
                preference.delete()
        elif preference is None:
            preference = NotificationPreference(user=user, kind=kind, timing=timing)
            preference.full_clean()
            preference.save()
            audit.record_create(actor=user, instance=preference, program_id=None)
        elif preference.timing != timing:
            before = audit.snapshot(preference, ["timing"])
            preference.timing = timing
            preference.save(update_fields=["timing"])
            audit.record_update(actor=user, instance=preference, before=before, program_id=None)
    _schedule_save(user=user, hour=hour, weekday=weekday, enabled=digests_enabled)


def _schedule_save(*, user: User, hour: int, weekday: int, enabled: bool) -> None:
    schedule = DigestSchedule.objects.select_for_update().filter(user=user).first()
    values = {"hour": hour, "weekday": weekday, "enabled": enabled}
    if schedule is None:
        schedule = DigestSchedule(user=user, **values)
        schedule.full_clean()
        schedule.save()
        audit.record_create(actor=user, instance=schedule, program_id=None)
        return
    before = audit.snapshot(schedule, values)
    for name, value in values.items():
        setattr(schedule, name, value)
    if audit.diff(before, audit.snapshot(schedule, values)):
        schedule.full_clean()
        schedule.save(update_fields=list(values))
        audit.record_update(actor=user, instance=schedule, before=before, program_id=None)


@atomic_service
def digests_unsubscribe(*, user: User) -> bool:
    """The one-click unsubscribe of a digest (RFC 8058): no more digest emails, and what was
    waiting for one is dropped (the bell and the notifications page still have it). Returns
    whether anything changed; a second click changes nothing."""
    schedule = DigestSchedule.objects.select_for_update().filter(user=user).first()
    waiting = Notification.objects.filter(
        recipient=user,
        channel=Notification.Channel.EMAIL,
        timing__in=[Timing.DAILY, Timing.WEEKLY],
        sent_at__isnull=True,
        digest__isnull=True,
    )
    dropped = waiting.delete()[0]
    if schedule is not None and not schedule.enabled:
        return bool(dropped)
    hour = schedule.hour if schedule else DigestSchedule.DEFAULT_HOUR
    weekday = schedule.weekday if schedule else DigestSchedule.DEFAULT_WEEKDAY
    _schedule_save(user=user, hour=hour, weekday=weekday, enabled=False)
    return True
