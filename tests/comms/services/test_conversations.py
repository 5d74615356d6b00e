"""Comments and questions: the service rules (comms.services.comment_post, question_answer)
and the selectors the dashboards use."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from comms import selectors
from comms.models import Comment, Notification
from comms.services import conversations
from portal import access
from portal.errors import ServiceError
from portal.live import LiveEvent
from portal.models import AuditEntry
from programs.models import Event
from tests.comms.conversation_data import (
    ask,
    draft_update,
    meeting_on,
    milestone_on,
    note,
    shared_update,
)

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def test_a_sponsor_asks_a_question_that_stays_open_until_answered(world):
    question = ask(world, shared_update(world))

    assert question.is_question
    assert question.audience == "sponsor"
    assert question.is_open_question
    assert list(selectors.open_questions(world.pm, world.program)) == [question]


def test_a_new_question_is_a_notable_event_both_sides_see(world):
    question = ask(world, shared_update(world, title="Resin lead time"))

    event = Event.objects.get(kind=Event.Kind.COMMENT)
    assert event.verb == "question.asked"
    assert event.significance == "notable"
    assert event.audience == "sponsor"
    assert not event.announce
    assert "Resin lead time" in event.summary
    assert event.url.endswith(f"?update={question.update_id}#comment-{question.pk}")


def test_the_first_answer_closes_the_question_and_stores_the_time_it_took(world):
    with time_machine.travel(T0, tick=False):
        question = ask(world, shared_update(world))
    with time_machine.travel(T0 + datetime.timedelta(hours=2, minutes=5), tick=False):
        answer = conversations.question_answer(
            actor=world.pm, question=question, body="Week 14, resin permitting."
        )

    question.refresh_from_db()
    assert answer.answer_to == question
    assert answer.update_id == question.update_id
    assert answer.audience == "sponsor"
    assert question.answered_at == T0 + datetime.timedelta(hours=2, minutes=5)
    assert question.answer_seconds == 2 * 3600 + 5 * 60
    assert not question.is_open_question


def test_a_later_answer_changes_neither_the_answer_time_nor_time_to_answer(world):
    with time_machine.travel(T0, tick=False):
        question = ask(world, shared_update(world))
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        conversations.question_answer(actor=world.pm, question=question, body="Week 14.")
    with time_machine.travel(T0 + datetime.timedelta(days=3), tick=False):
        conversations.question_answer(actor=world.leader, question=question, body="Confirmed.")

    question.refresh_from_db()
    assert question.answer_seconds == 3600
    assert question.answered_at == T0 + datetime.timedelta(hours=1)
    assert question.answers.count() == 2


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_can_answer_and_nothing_changes_otherwise(world, persona):
    question = ask(world, shared_update(world))
    events = Event.objects.count()

    with pytest.raises(ServiceError) as raised:
        conversations.question_answer(
            actor=getattr(world, persona), question=question, body="I can answer that."
        )

    assert raised.value.message == conversations.ONLY_TEAM_ANSWERS
    question.refresh_from_db()
    assert question.is_open_question
    assert Comment.objects.count() == 1
    assert Event.objects.count() == events
    assert not Notification.objects.exists()


def test_an_internal_note_cannot_be_an_answer(world):
    question = ask(world, shared_update(world))

    with pytest.raises(ServiceError) as raised:
        conversations.question_answer(
            actor=world.pm, question=question, body="Ops thinks week 15.", audience="internal"
        )

    assert raised.value.message == conversations.INTERNAL_NOTE_CANNOT_ANSWER
    assert raised.value.field == "audience"
    question.refresh_from_db()
    assert question.is_open_question
    assert Comment.objects.count() == 1


def test_only_a_question_can_be_answered(world):
    comment = conversations.comment_post(
        actor=world.lead_a, target=shared_update(world), body="Thanks for the heads-up."
    )

    with pytest.raises(ServiceError) as raised:
        conversations.question_answer(actor=world.pm, question=comment, body="You're welcome.")

    assert raised.value.message == conversations.NOT_A_QUESTION
    assert Comment.objects.count() == 1


def test_an_answer_notifies_the_asker_in_the_app(world):
    question = ask(world, shared_update(world), asker=world.viewer_a)

    answer = conversations.question_answer(actor=world.pm, question=question, body="Week 14.")

    notification = Notification.objects.get()
    assert notification.recipient == world.viewer_a
    assert notification.channel == Notification.Channel.IN_APP
    assert notification.comment == answer
    assert notification.update is None
    assert notification.url.endswith(f"#comment-{answer.pk}")
    assert "answered your question" in notification.subject
    event = Event.objects.filter(verb="question.answered").get()
    assert event.audience == "sponsor"


def test_a_sponsor_users_comment_is_always_shared(world):
    with pytest.raises(ServiceError) as raised:
        conversations.comment_post(
            actor=world.lead_a, target=shared_update(world), body="Psst.", audience="internal"
        )

    assert raised.value.message == conversations.SPONSOR_COMMENTS_ARE_SHARED
    assert not Comment.objects.exists()


@pytest.mark.parametrize("persona", ["pm", "staff", "leader"])
def test_cdmo_users_comment_but_do_not_ask_questions(world, persona):
    with pytest.raises(ServiceError) as raised:
        conversations.comment_post(
            actor=getattr(world, persona),
            target=shared_update(world),
            body="Shall we?",
            is_question=True,
        )

    assert raised.value.message == conversations.ONLY_SPONSORS_ASK
    assert not Comment.objects.exists()


def test_the_discussion_of_an_internal_draft_stays_internal(world):
    draft = draft_update(world)

    with pytest.raises(ServiceError) as raised:
        conversations.comment_post(actor=world.pm, target=draft, body="Ready to share?")

    assert raised.value.message == conversations.DRAFT_COMMENTS_STAY_INTERNAL
    assert note(world, draft).audience == "internal"


def test_an_empty_comment_is_refused(world):
    with pytest.raises(ServiceError) as raised:
        conversations.comment_post(actor=world.lead_a, target=shared_update(world), body="  \n ")

    assert raised.value.message == conversations.EMPTY_COMMENT
    assert raised.value.field == "body"


def test_milestones_and_meetings_have_threads_too(world):
    milestone = milestone_on(world.program)
    meeting = meeting_on(world.program)

    on_milestone = ask(world, milestone, body="Is the engineering run still on track?")
    on_meeting = conversations.comment_post(actor=world.pm, target=meeting, body="Agenda attached.")

    assert (on_milestone.milestone, on_milestone.update, on_milestone.meeting) == (
        milestone,
        None,
        None,
    )
    assert on_meeting.target == meeting
    assert "engineering run" in Event.objects.get(verb="question.asked").summary.lower()


def test_a_comment_is_on_exactly_one_thing(world):
    comment = Comment(
        program=world.program,
        update=shared_update(world),
        milestone=milestone_on(world.program),
        author=world.pm,
        body="Both?",
    )

    with pytest.raises(ValidationError):
        comment.full_clean()


def test_every_write_is_audited(world):
    question = ask(world, shared_update(world))
    answer = conversations.question_answer(actor=world.pm, question=question, body="Week 14.")

    created = set(
        AuditEntry.objects.filter(model="comms.comment", action="create").values_list(
            "object_pk", flat=True
        )
    )
    assert created == {str(question.pk), str(answer.pk)}
    closed = AuditEntry.objects.get(model="comms.comment", action="update")
    assert closed.object_pk == str(question.pk)
    assert set(closed.changes) == {"answered_at", "answer_seconds"}


def test_a_sponsor_never_sees_internal_notes(world):
    update = shared_update(world)
    ask(world, update, body="Shared question")
    note(world, update, body="Internal only")

    for persona in ("lead_a", "viewer_a"):
        user = getattr(world, persona)
        bodies = {c.body for c in selectors.comment_list(user=user, program=world.program)}
        thread = {c.body for c in selectors.comment_thread(user=user, target=update).comments}
        assert bodies == thread == {"Shared question"}
    pm_thread = {c.body for c in selectors.comment_thread(user=world.pm, target=update).comments}
    assert pm_thread == {"Shared question", "Internal only"}


def test_an_internal_note_is_announced_live_to_the_cdmo_only(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    published: list[LiveEvent] = []
    monkeypatch.setattr("portal.live.publish", published.extend)

    with django_capture_on_commit_callbacks(execute=True):
        note(world, shared_update(world), body="Internal only")

    (message,) = published
    assert message.audience == "internal"
    assert not access.may_see(
        access.viewer(world.lead_a), sponsor_id=message.sponsor, audience=message.audience
    )
    assert access.may_see(
        access.viewer(world.pm), sponsor_id=message.sponsor, audience=message.audience
    )
    assert not Event.objects.visible_to(world.lead_a).filter(kind=Event.Kind.COMMENT).exists()


def test_a_sponsor_question_is_announced_live_to_both_sides(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    published: list[LiveEvent] = []
    monkeypatch.setattr("portal.live.publish", published.extend)

    with django_capture_on_commit_callbacks(execute=True):
        ask(world, shared_update(world))

    (message,) = published
    assert message.program == "HLX-101"
    assert message.significance == "notable"
    assert access.may_see(
        access.viewer(world.viewer_a), sponsor_id=message.sponsor, audience=message.audience
    )


def test_open_questions_and_their_count_for_the_dashboard(world):
    update = shared_update(world)
    first = ask(world, update, body="First")
    second = ask(world, milestone_on(world.program), body="Second")
    answered = ask(world, update, body="Answered")
    conversations.question_answer(actor=world.pm, question=answered, body="Done.")
    Comment.objects.filter(pk=second.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )

    assert list(selectors.open_questions(world.lead_a, world.program)) == [second, first]
    assert selectors.open_question_count(world.lead_a, world.program) == 2
    assert selectors.open_question_count(world.pm, world.program) == 2
    assert selectors.open_question_count(world.lead_b, world.program) == 0


def test_questions_wait_on_the_program_team_only(world):
    on_a = ask(world, shared_update(world))
    on_b = ask(world, shared_update(world, program=world.program_b), asker=world.lead_b)
    Comment.objects.filter(pk=on_b.pk).update(created_at=timezone.now() - datetime.timedelta(1))

    assert list(selectors.questions_waiting_on_me(world.pm)) == [on_b, on_a]
    assert list(selectors.questions_waiting_on_me(world.leader)) == [on_b, on_a]
    assert list(selectors.questions_waiting_on_me(world.staff)) == []
    assert list(selectors.questions_waiting_on_me(world.lead_a)) == []
    conversations.question_answer(actor=world.pm, question=on_a, body="Week 14.")
    assert list(selectors.questions_waiting_on_me(world.pm)) == [on_b]
