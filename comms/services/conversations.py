"""Conversations: comments and questions on updates, milestones, meetings and deviations,
answers, and sharing a CDMO note with the sponsor."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from comms.models import Comment, Notification, Update
from comms.services.common import require
from deviations.models import Deviation
from governance.models import Meeting
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.changes import Note
from programs.models import Event, Milestone

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
ONLY_TEAM_SHARES = "Only the program's CDMO team can share a note with the sponsor."
ALREADY_SHARED = "This comment is already visible to the sponsor."
DRAFT_NOTE_CANNOT_BE_SHARED = (
    "This note is on an internal draft update: share the update before its notes."
)


def _target_fields(target: CommentTarget) -> dict[str, CommentTarget]:
    return {str(target._meta.model_name): target}


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


def _comment_note(actor: User, comment: Comment, target: CommentTarget) -> Note:
    label = _target_label(target)
    excerpt = _excerpt(comment.body)
    url = comment_thread_url(comment)
    if comment.is_question:
        summary = f"{actor.display_name} asked about {label}: “{excerpt}”"
        return Note(verb="question.asked", summary=summary, significance="notable", url=url)
    if comment.audience == Audience.INTERNAL:
        summary = f"{actor.display_name} noted on {label}: “{excerpt}”"
        return Note(verb="note.posted", summary=summary, url=url, kind=Event.Kind.COMMENT)
    summary = f"{actor.display_name} commented on {label}: “{excerpt}”"
    return Note(verb="comment.posted", summary=summary, url=url)


@atomic_service
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
    thread on an update they cannot see. A new question is notable for the CDMO side, and
    asks for the program's health again (unanswered questions count against it).
    """
    program = changes.lock_program(target.program.pk)
    require(actor, Action.COMMENT, program, NOT_ALLOWED_TO_COMMENT)
    if audience == Audience.INTERNAL:
        require(actor, Action.POST_INTERNAL_NOTE, program, SPONSOR_COMMENTS_ARE_SHARED, "audience")
    if is_question:
        require(actor, Action.ASK_QUESTION, program, ONLY_SPONSORS_ASK, "is_question")
    if (
        isinstance(target, Update)
        and target.audience == Audience.INTERNAL
        and audience != Audience.INTERNAL
    ):
        raise Conflict(DRAFT_COMMENTS_STAY_INTERNAL, field="audience")
    body = body.strip()
    if not body:
        raise Invalid(EMPTY_COMMENT, field="body")
    target.program = program
    comment = Comment(
        program=program,
        author=actor,
        body=body,
        audience=audience,
        is_question=is_question,
        **_target_fields(target),
    )
    changes.create(comment, actor=actor, program=program, react=False)
    changes.log(
        program=program,
        actor=actor,
        note=_comment_note(actor, comment, target),
        subject=comment,
        react=is_question,
    )
    return comment


@atomic_service
def comment_share(*, actor: User, comment: Comment) -> Comment:
    """Share a CDMO internal note with the sponsor: an audited step that the sponsor's live
    pages then receive. A note on an internal draft update waits for the update."""
    program = changes.lock_program(comment.program_id)
    require(actor, Action.SHARE, program, ONLY_TEAM_SHARES)
    locked = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("update", "milestone", "meeting", "deviation")
        .get(pk=comment.pk)
    )
    locked.program = program
    if locked.audience == Audience.SPONSOR:
        raise Conflict(ALREADY_SHARED)
    if locked.update is not None and locked.update.audience == Audience.INTERNAL:
        raise Conflict(DRAFT_NOTE_CANNOT_BE_SHARED)
    target = locked.target
    assert target is not None  # the comment_on_exactly_one_thing constraint
    summary = (
        f"{actor.display_name} shared a CDMO note on {_target_label(target)}: "
        f"“{_excerpt(locked.body)}”"
    )
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={"audience": Audience.SPONSOR},
        note=Note(
            verb="note.shared",
            summary=summary,
            audience=Audience.SPONSOR,
            url=comment_thread_url(locked),
            kind=Event.Kind.COMMENT,
        ),
        react=False,
    )
    comment.audience = locked.audience
    return locked


@atomic_service
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
    program = changes.lock_program(question.program_id)
    require(actor, Action.ANSWER_QUESTION, program, ONLY_TEAM_ANSWERS)
    if not question.is_question:
        raise Invalid(NOT_A_QUESTION, field="answer_to")
    if audience != Audience.SPONSOR:
        raise Invalid(INTERNAL_NOTE_CANNOT_ANSWER, field="audience")
    body = body.strip()
    if not body:
        raise Invalid(EMPTY_COMMENT, field="body")
    locked = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("author", "update", "milestone", "meeting", "deviation")
        .get(pk=question.pk)
    )
    locked.program = program
    target = locked.target
    assert target is not None  # the comment_on_exactly_one_thing constraint
    answer = Comment(
        program=program,
        author=actor,
        body=body,
        audience=Audience.SPONSOR,
        answer_to=locked,
        **_target_fields(target),
    )
    changes.create(answer, actor=actor, program=program, react=False)
    if locked.answered_at is None:
        waited = answer.created_at - locked.created_at
        changes.update(
            locked,
            actor=actor,
            program=program,
            values={
                "answered_at": answer.created_at,
                "answer_seconds": max(0, int(waited.total_seconds())),
            },
            validate=False,
        )
    url = comment_thread_url(answer)
    Notification.objects.create(
        recipient_id=locked.author_id,
        channel=Notification.Channel.IN_APP,
        comment=answer,
        subject=f"{program.code}: {actor.display_name} answered your question"[:250],
        url=url,
        sent_at=timezone.now(),
    )
    changes.log(
        program=program,
        actor=actor,
        note=Note(
            verb="question.answered",
            summary=(
                f"{actor.display_name} answered {locked.author.display_name}'s question "
                f"about {_target_label(target)}"
            ),
            url=url,
        ),
        subject=answer,
        react=False,
    )
    question.answered_at, question.answer_seconds = locked.answered_at, locked.answer_seconds
    return answer
