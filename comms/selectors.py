"""Reads for updates and notifications, scoped by tenant and audience."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from comms.models import (
    Comment,
    DigestSchedule,
    Notification,
    NotificationPreference,
    NotificationQuerySet,
    Update,
    UpdateRead,
)
from deviations.models import Deviation
from governance.models import Meeting
from portal import access
from portal.access import Audience
from portal.models import User
from programs.models import Event, Milestone, Program, ProgramMember
from programs.selectors import get_program_for_user, program_list


def program_grant(user: User, code: str) -> access.Grant[Program]:
    """The program a page or API view names, with what the user may do to it (404 unless they
    may see it), so that neither the view nor its template decides again."""
    program = get_program_for_user(user, code)
    return access.Grant(obj=program, held=access.capacities(user, program))


def portfolio(*, user: User) -> QuerySet[Program]:
    """The user's programs, each with the newest update they may see, the next milestone and
    the number of open questions: one query, however many programs."""
    latest = Update.objects.visible_to(user).filter(program=OuterRef("pk")).order_by("-created_at")
    upcoming = Milestone.objects.filter(program=OuterRef("pk"), actual_date__isnull=True).order_by(
        "forecast_date", "id"
    )
    questions = (
        Comment.objects.visible_to(user)
        .filter(program=OuterRef("pk"), is_question=True, answered_at__isnull=True)
        .order_by()
        .values("program")
        .annotate(n=Count("id"))
        .values("n")
    )
    return program_list(user=user).annotate(
        latest_update_title=Subquery(latest.values("title")[:1]),
        latest_update_at=Subquery(latest.values("created_at")[:1]),
        latest_update_significance=Subquery(latest.values("significance")[:1]),
        latest_update_audience=Subquery(latest.values("audience")[:1]),
        next_milestone_name=Subquery(upcoming.values("name")[:1]),
        next_milestone_forecast=Subquery(upcoming.values("forecast_date")[:1]),
        next_milestone_baseline=Subquery(upcoming.values("baseline_date")[:1]),
        open_question_count=Coalesce(Subquery(questions), 0),
    )


def update_list(*, user: User, program: Program) -> QuerySet[Update]:
    return Update.objects.visible_to(user).filter(program=program).select_related("author")


def get_update_for_user(user: User, program: Program, pk: int) -> Update:
    update = update_list(user=user, program=program).filter(pk=pk).first()
    if update is None:
        raise Http404("No such update.")
    return update


def notifications_visible(user: User) -> NotificationQuerySet:
    """The user's own in-app notifications about what the one door still lets them read: an
    event, update or comment they no longer may see (moved to another organisation, say)
    drops out."""
    return (
        Notification.objects.for_recipient(user)
        .in_app()
        .filter(
            Q(event__in=Event.objects.visible_to(user))
            | Q(event__isnull=True, update__in=Update.objects.visible_to(user))
            | Q(event__isnull=True, comment__in=Comment.objects.visible_to(user))
        )
    )


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """Newest first; with `unread`, only what is still unread."""
    notifications = notifications_visible(user)
    if unread:
        notifications = notifications.unread()
    return notifications.select_related("update__program", "event__program")


def unread_notification_count(*, user: User) -> int:
    return notifications_visible(user).unread().count()


# --- Conversations: comments, questions and read receipts ---------------------------------

TARGET_KINDS = ("update", "milestone", "meeting", "deviation")
RECEIPT_SIGNIFICANCE = (Update.Significance.NOTABLE, Update.Significance.CRITICAL)
_QUESTION_RELATED = (
    "program",
    "author__membership__organisation",
    "update",
    "milestone",
    "meeting",
    "deviation",
)


@dataclass
class ReadReceipt:
    """Who of the sponsor's people has read one update, for the program team's eyes only."""

    read: list[UpdateRead] = field(default_factory=list)
    unread: list[User] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.read) + len(self.unread)


def with_conversation(updates: QuerySet[Update], *, user: User) -> QuerySet[Update]:
    """Updates with the size of the thread the user may see (`comment_count`) and, for a
    sponsor user, whether they have read each one (`read_by_me`): all in the page's one query."""
    thread = (
        Comment.objects.visible_to(user)
        .filter(update=OuterRef("pk"))
        .order_by()
        .values("update")
        .annotate(n=Count("pk"))
        .values("n")
    )
    updates = updates.annotate(comment_count=Coalesce(Subquery(thread), Value(0)))
    if access.is_sponsor(user):
        mine = UpdateRead.objects.filter(update=OuterRef("pk"), user=user)
        updates = updates.annotate(read_by_me=Exists(mine))
    return updates


def _team_programs(user: User) -> QuerySet:
    """The programs on whose CDMO team the user is: the query twin of `Capacity.TEAM` for
    pages that span programs."""
    return ProgramMember.objects.active().filter(user=user).values("program")


def sponsor_people(sponsor_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active sponsor-side people of each sponsor organisation, by name: the readers that
    notifications and read receipts are about. One query."""
    people = (
        User.objects.filter(is_active=True, membership__organisation_id__in=set(sponsor_ids))
        .select_related("membership")
        .order_by("display_name", "email")
    )
    by_sponsor: dict[int, list[User]] = {}
    for person in people:
        who = access.viewer(person)
        if who is not None and who.is_sponsor:
            by_sponsor.setdefault(who.organisation_id, []).append(person)
    return by_sponsor


def read_receipts(user: User, update_ids: Iterable[int]) -> dict[int, ReadReceipt]:
    """For each notable or critical shared update among `update_ids` on a program the user is
    on the team of: who of the sponsor's active people has read it and who hasn't. Empty for
    everyone else (a sponsor never sees anyone's receipts). Three queries, however many."""
    ids = list(update_ids)
    if not ids or not access.is_cdmo(user):
        return {}
    updates = Update.objects.visible_to(user).filter(
        pk__in=ids, audience=Audience.SPONSOR, significance__in=RECEIPT_SIGNIFICANCE
    )
    if not access.is_leadership(user):
        updates = updates.filter(program__in=_team_programs(user))
    sponsor_of = dict(updates.values_list("pk", "program__sponsor_id"))
    if not sponsor_of:
        return {}
    people = sponsor_people(sponsor_of.values())
    reads: dict[int, dict[int, UpdateRead]] = {pk: {} for pk in sponsor_of}
    for read in UpdateRead.objects.filter(update_id__in=sponsor_of).order_by("read_at"):
        reads[read.update_id][read.user_id] = read
    receipts: dict[int, ReadReceipt] = {}
    for pk, sponsor_id in sponsor_of.items():
        receipt = ReadReceipt()
        for person in people.get(sponsor_id, []):
            seen = reads[pk].get(person.pk)
            if seen is None:
                receipt.unread.append(person)
            else:
                seen.user = person
                receipt.read.append(seen)
        receipt.read.sort(key=lambda r: r.read_at)
        receipts[pk] = receipt
    return receipts


def comment_list(*, user: User, program: Program) -> QuerySet[Comment]:
    return (
        Comment.objects.visible_to(user)
        .filter(program=program)
        .select_related("program", "author__membership__organisation")
    )


def get_comment_target(
    user: User, program: Program, kind: str, pk: int
) -> Update | Milestone | Meeting | Deviation:
    """The update, milestone, meeting or deviation a thread hangs on, if the user may see it;
    else 404."""
    targets: dict[str, QuerySet] = {
        "update": Update.objects.visible_to(user),
        "milestone": Milestone.objects.visible_to(user),
        "meeting": Meeting.objects.visible_to(user),
        "deviation": Deviation.objects.visible_to(user),
    }
    if kind not in targets:
        raise Http404("No such thread.")
    target = targets[kind].filter(program=program, pk=pk).first()
    if target is None:
        raise Http404("No such thread.")
    target.program = program
    return target


@dataclass(frozen=True)
class Thread:
    """A thread's top-level comments, oldest first, each question with its answers in
    `thread_answers`; `size` counts them all."""

    comments: list[Comment]
    size: int


def comment_thread(*, user: User, target: Update | Milestone | Meeting | Deviation) -> Thread:
    """The comments on one target the user may see, in one query."""
    kind = str(target._meta.model_name)
    comments = list(comment_list(user=user, program=target.program).filter(**{kind: target}))
    answers: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.answer_to_id is not None:
            answers.setdefault(comment.answer_to_id, []).append(comment)
    top = [c for c in comments if c.answer_to_id is None]
    for comment in top:
        comment.thread_answers = answers.get(comment.pk, [])  # type: ignore[attr-defined]
    return Thread(comments=top, size=len(comments))


def thread_open_questions(
    *, user: User, target: Update | Milestone | Meeting | Deviation
) -> QuerySet[Comment]:
    """The open questions on one target: what the CDMO team may answer from its thread."""
    kind = str(target._meta.model_name)
    return (
        Comment.objects.visible_to(user)
        .filter(is_question=True, answered_at__isnull=True, **{kind: target})
        .select_related("author")
        .order_by("created_at", "id")
    )


def question_list(*, user: User, program: Program) -> QuerySet[Comment]:
    return (
        Comment.objects.visible_to(user)
        .filter(program=program, is_question=True)
        .select_related(*_QUESTION_RELATED)
    )


def get_question_for_user(user: User, program: Program, pk: int) -> Comment:
    question = question_list(user=user, program=program).filter(pk=pk).first()
    if question is None:
        raise Http404("No such question.")
    return question


def get_comment_for_user(user: User, program: Program, pk: int) -> Comment:
    comment = comment_list(user=user, program=program).filter(pk=pk).first()
    if comment is None:
        raise Http404("No such comment.")
    return comment


def open_questions(user: User, program: Program) -> QuerySet[Comment]:
    """The program's unanswered questions, the longest-waiting first."""
    return (
        question_list(user=user, program=program)
        .filter(answered_at__isnull=True)
        .order_by("created_at", "id")
    )


def open_question_count(user: User, program: Program) -> int:
    return open_questions(user, program).count()


def answered_questions(user: User, program: Program) -> QuerySet[Comment]:
    """The program's answered questions, the most recently answered first."""
    return (
        question_list(user=user, program=program)
        .filter(answered_at__isnull=False)
        .order_by("-answered_at", "-id")
    )


def with_first_answer(questions: QuerySet[Comment], *, user: User) -> QuerySet[Comment]:
    """Questions with their answers (`answer_list`, oldest first) in one more query."""
    answers = Comment.objects.visible_to(user).select_related("author").order_by("created_at", "id")
    return questions.prefetch_related(Prefetch("answers", queryset=answers, to_attr="answer_list"))


@dataclass(frozen=True)
class QuestionStats:
    open: int
    answered: int
    average_answer_seconds: float | None


def question_stats(user: User, program: Program) -> QuestionStats:
    """How many questions are open and answered, and how long an answer takes on average."""
    totals = question_list(user=user, program=program).aggregate(
        open=Count("pk", filter=Q(answered_at__isnull=True)),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        average=Avg("answer_seconds"),
    )
    return QuestionStats(
        open=totals["open"], answered=totals["answered"], average_answer_seconds=totals["average"]
    )


def agenda_open_questions(*, program: Program) -> QuerySet[Comment]:
    """A program's open questions for its shared meeting agenda: not scoped to a person,
    because an agenda is composed for both sides, and every question is shared."""
    return (
        Comment.objects.filter(
            program=program, is_question=True, answered_at__isnull=True, audience=Audience.SPONSOR
        )
        .select_related("program", "author")
        .order_by("created_at", "id")
    )


def questions_waiting_on_me(user: User) -> QuerySet[Comment]:
    """Open sponsor questions on every program the user may answer on (their CDMO team's
    programs; all of them for leadership), the longest-waiting first. Empty for a sponsor."""
    if not access.is_cdmo(user):
        return Comment.objects.none()
    questions = Comment.objects.visible_to(user).filter(is_question=True, answered_at__isnull=True)
    if not access.is_leadership(user):
        questions = questions.filter(program__in=_team_programs(user))
    return questions.select_related(*_QUESTION_RELATED).order_by("created_at", "id")


def team_program_codes(user: User) -> list[str]:
    """Codes of the programs whose questions wait on the user: the live events to listen to."""
    if not access.is_cdmo(user):
        return []
    programs = Program.objects.visible_to(user)
    if not access.is_leadership(user):
        programs = programs.filter(pk__in=_team_programs(user))
    return list(programs.order_by("code").values_list("code", flat=True))


def get_notification_for_user(user: User, pk: int) -> Notification:
    notification = notifications_visible(user).select_related("update").filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def notification_preferences(*, user: User) -> tuple[dict[str, str], DigestSchedule]:
    """The user's chosen email timing per kind of event (kinds without a choice absent) and
    their digest schedule (the defaults, unsaved, if they never chose)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "timing"))
    schedule = DigestSchedule.objects.filter(user=user).first() or DigestSchedule(user=user)
    return chosen, schedule
