"""Writes for updates, notifications, comments, questions and read receipts."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from comms.health import assess
from comms.models import Comment, Notification, Update, UpdateRead
from deviations.models import Deviation
from governance.models import Meeting
from portal import audit, policy
from portal.errors import ServiceError
from portal.models import Membership, User
from portal.queue import enqueue_on_commit
from programs.models import Audience, Event, Milestone, Program
from programs.services import event_append, program_health_apply_rule

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


# --- Conversations: comments, questions and read receipts ---------------------------------

CommentTarget = Update | Milestone | Meeting | Deviation

NOT_ALLOWED_TO_COMMENT = "You can't comment on this program."
EMPTY_COMMENT = "Write something first."
SPONSOR_COMMENTS_ARE_SHARED = (
    "Your comments are always visible to both sides; only the CDMO team posts internal notes."
)
ONLY_SPONSORS_ASK = "Only the sponsor's people ask questions here; post a comment instead."
DRAFT_COMMENTS_STAY_INTERNAL = (
    "This update is an internal draft: comments on it stay internal until it is shared."
)
ONLY_TEAM_ANSWERS = "Only the program's CDMO team can answer a question."
NOT_A_QUESTION = "Only a question can be answered."
INTERNAL_NOTE_CANNOT_ANSWER = (
    "An internal note can't answer a question: the sponsor must see the answer."
)
NOT_YOUR_NOTIFICATION = "That notification is not yours."


def _target_fields(target: CommentTarget) -> dict[str, CommentTarget]:
    if isinstance(target, Update):
        return {"update": target}
    if isinstance(target, Milestone):
        return {"milestone": target}
    if isinstance(target, Deviation):
        return {"deviation": target}
    return {"meeting": target}


def _target_label(target: CommentTarget) -> str:
    if isinstance(target, Update):
        return f"the update “{target.title}”"
    if isinstance(target, Milestone):
        return f"the milestone “{target.name}”"
    if isinstance(target, Deviation):
        return f"the deviation {target.reference} “{target.title}”"
    return f"the meeting “{target.title}” of {target.starts_at:%d %b %Y}"


def comment_thread_url(comment: Comment) -> str:
    """Where a comment is read: its thread, scrolled to it."""
    thread = reverse("comment-thread", args=[comment.program.code])
    return f"{thread}?{comment.target_kind}={comment.target_id}#comment-{comment.pk}"


def _excerpt(body: str, length: int = 140) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def comment_post(
    *,
    actor: User,
    target: CommentTarget,
    body: str,
    audience: str = Audience.SPONSOR,
    is_question: bool = False,
) -> Comment:
    """Comment on an update, milestone, meeting or deviation, or (a sponsor user) ask a
    question.

    A sponsor user's comment is always shared with both sides; CDMO users may keep a note
    internal. A comment on an internal draft stays internal, or it would show the sponsor a
    thread on an update they cannot see. A new question is notable for the CDMO side.
    """
    program = target.program
    if not policy.can_comment(actor, program):
        raise ServiceError(NOT_ALLOWED_TO_COMMENT)
    if audience == Audience.INTERNAL and not policy.can_post_internal_note(actor, program):
        raise ServiceError(SPONSOR_COMMENTS_ARE_SHARED, field="audience")
    if is_question and not policy.can_ask_question(actor, program):
        raise ServiceError(ONLY_SPONSORS_ASK, field="is_question")
    if (
        isinstance(target, Update)
        and target.audience == Audience.INTERNAL
        and audience != Audience.INTERNAL
    ):
        raise ServiceError(DRAFT_COMMENTS_STAY_INTERNAL, field="audience")
    body = body.strip()
    if not body:
        raise ServiceError(EMPTY_COMMENT, field="body")
    comment = Comment(
        program=program,
        author=actor,
        body=body,
        audience=audience,
        is_question=is_question,
        **_target_fields(target),
    )
    comment.full_clean()
    label = _target_label(target)
    if is_question:
        verb, significance = "question.asked", "notable"
        summary = f"{actor.display_name} asked about {label}: “{_excerpt(body)}”"
    elif audience == Audience.INTERNAL:
        verb, significance = "note.posted", "info"
        summary = f"{actor.display_name} noted on {label}: “{_excerpt(body)}”"
    else:
        verb, significance = "comment.posted", "info"
        summary = f"{actor.display_name} commented on {label}: “{_excerpt(body)}”"
    with transaction.atomic():
        comment.save()
        audit.record_create(actor=actor, instance=comment, program_id=program.pk)
        event_append(
            program=program,
            kind=Event.Kind.COMMENT,
            verb=verb,
            summary=summary,
            audience=audience,
            actor=actor,
            url=comment_thread_url(comment),
            significance=significance,
        )
    return comment


def question_answer(
    *,
    actor: User,
    question: Comment,
    body: str,
    audience: str = Audience.SPONSOR,
) -> Comment:
    """Answer a sponsor's question, in its thread. The first answer closes the question and
    stores how long it waited; later answers add to the thread and change neither. The asker
    gets an in-app notification for every answer."""
    program = question.program
    if not policy.can_answer_question(actor, program):
        raise ServiceError(ONLY_TEAM_ANSWERS)
    if not question.is_question:
        raise ServiceError(NOT_A_QUESTION)
    if audience != Audience.SPONSOR:
        raise ServiceError(INTERNAL_NOTE_CANNOT_ANSWER, field="audience")
    body = body.strip()
    if not body:
        raise ServiceError(EMPTY_COMMENT, field="body")
    with transaction.atomic():
        locked = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("author", "update", "milestone", "meeting", "deviation")
            .get(pk=question.pk)
        )
        answer = Comment(
            program=program,
            update_id=locked.update_id,
            milestone_id=locked.milestone_id,
            meeting_id=locked.meeting_id,
            deviation_id=locked.deviation_id,
            author=actor,
            body=body,
            audience=Audience.SPONSOR,
            answer_to=locked,
        )
        answer.full_clean()
        answer.save()
        audit.record_create(actor=actor, instance=answer, program_id=program.pk)
        if locked.answered_at is None:
            before = audit.snapshot(locked, ["answered_at", "answer_seconds"])
            locked.answered_at = answer.created_at
            waited = answer.created_at - locked.created_at
            locked.answer_seconds = max(0, int(waited.total_seconds()))
            locked.save(update_fields=["answered_at", "answer_seconds"])
            audit.record_update(actor=actor, instance=locked, before=before, program_id=program.pk)
        target = locked.target
        assert target is not None  # the comment_on_exactly_one_thing constraint
        url = comment_thread_url(answer)
        Notification.objects.create(
            recipient_id=locked.author_id,
            channel=Notification.Channel.IN_APP,
            comment=answer,
            subject=f"{program.code}: {actor.display_name} answered your question"[:250],
            url=url,
            sent_at=timezone.now(),
        )
        event_append(
            program=program,
            kind=Event.Kind.COMMENT,
            verb="question.answered",
            summary=(
                f"{actor.display_name} answered {locked.author.display_name}'s question "
                f"about {_target_label(target)}"
            ),
            audience=Audience.SPONSOR,
            actor=actor,
            url=url,
        )
    question.answered_at, question.answer_seconds = locked.answered_at, locked.answer_seconds
    return answer


def update_reads_record(*, user: User, updates: Iterable[Update]) -> int:
    """Record that a sponsor user has seen these updates (the caller got them from a selector,
    so the user may see them). One INSERT for a whole page, none once all are recorded (the
    `read_by_me` annotation of `selectors.with_conversation` says which), and idempotent by the
    unique (update, user) key. Neither audited nor an event: a read changes no record, and an
    event would wake every open page of the program for nothing."""
    if not policy.is_sponsor(user):
        return 0
    unread = [
        update.pk
        for update in updates
        if update.audience == Audience.SPONSOR and not getattr(update, "read_by_me", False)
    ]
    if unread:
        UpdateRead.objects.bulk_create(
            [UpdateRead(update_id=pk, user=user) for pk in unread], ignore_conflicts=True
        )
    return len(unread)


def notification_open(*, user: User, notification: Notification) -> None:
    """The recipient followed a notification: it is read, and so is the update it announced."""
    if notification.recipient_id != user.pk:
        raise ServiceError(NOT_YOUR_NOTIFICATION)
    with transaction.atomic():
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        if notification.update is not None:
            update_reads_record(user=user, updates=[notification.update])


def program_health_refresh(*, program_id: int) -> bool:
    """Re-run the health rule for one program and store the verdict if it changed."""
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return False
    verdict = assess(program)
    return program_health_apply_rule(
        program_id=program_id, health=verdict.health, reasons=verdict.reasons
    )
