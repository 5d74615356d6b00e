"""Conversation pages: the thread and its fragments, posting with htmx, the questions pages,
and what a sponsor's pages never show."""

import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

from comms.models import Comment
from comms.services import conversations
from governance.agenda import compose_agenda
from tests.comms.conversation_data import (
    ask,
    draft_update,
    meeting_on,
    milestone_on,
    note,
    shared_update,
)
from tests.support.world import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def thread(update) -> str:
    return f"/programs/HLX-101/comments/?update={update.pk}"


def test_an_htmx_request_gets_the_thread_fragment_with_its_form(world):
    update = shared_update(world)
    ask(world, update, body="When does batch 1 start?")

    response = client_for(world, "lead_a").get(thread(update), **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<div id="thread-update-{update.pk}"')
    assert "<html" not in body
    assert "When does batch 1 start?" in body
    assert 'name="body"' in body
    assert 'name="is_question"' in body
    assert 'name="audience"' not in body
    assert (
        f'id="discuss-count-update-{update.pk}" class="discuss-count" hx-swap-oob="true">1<' in body
    )


def test_the_comment_list_fragment_follows_the_live_event_without_the_form(world):
    update = shared_update(world)

    body = (
        client_for(world, "viewer_a")
        .get(thread(update) + "&fragment=comment-list", **HTMX)
        .content.decode()
    )

    assert body.lstrip().startswith(f'<div id="thread-update-{update.pk}-list"')
    assert 'hx-trigger="sse:program-HLX-101, every 30s"' in body
    assert "<form" not in body


def test_without_htmx_the_thread_is_a_page_about_its_target(world):
    milestone = milestone_on(world.program, name="PPQ campaign start")

    response = client_for(world, "lead_a").get(
        f"/programs/HLX-101/comments/?milestone={milestone.pk}"
    )

    body = response.content.decode()
    assert "<html" in body
    assert "PPQ campaign start" in body
    assert f'id="thread-milestone-{milestone.pk}"' in body


def test_a_comment_posted_with_htmx_comes_back_in_the_refreshed_thread(world):
    update = shared_update(world)

    response = client_for(world, "lead_a").post(
        thread(update), {"body": "Thanks, noted.", "is_question": "on"}, **HTMX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == '{"comment-posted": {}}'
    assert "Thanks, noted." in body
    assert "Question posted" in body
    assert Comment.objects.get().is_open_question


def test_an_empty_comment_answers_422_with_the_error_inline_and_saves_nothing(world):
    update = shared_update(world)

    response = client_for(world, "lead_a").post(thread(update), {"body": "   "}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 422
    assert body.lstrip().startswith(f'<div id="thread-update-{update.pk}"')
    assert conversations.EMPTY_COMMENT in body
    assert "field-error" in body
    assert not Comment.objects.exists()


def test_a_sponsor_posting_an_answer_gets_422_with_the_rule_and_nothing_changes(world):
    update = shared_update(world)
    question = ask(world, update)

    response = client_for(world, "viewer_a").post(
        thread(update), {"body": "I know this one", "answer_to": question.pk}, **HTMX
    )

    assert response.status_code == 422
    assert escape(conversations.ONLY_TEAM_ANSWERS) in response.content.decode()
    question.refresh_from_db()
    assert question.is_open_question
    assert Comment.objects.count() == 1


def test_an_internal_answer_is_refused_on_the_page_too(world):
    update = shared_update(world)
    question = ask(world, update)

    response = client_for(world, "pm").post(
        thread(update),
        {"body": "Ops says week 15", "answer_to": question.pk, "audience": "internal"},
        **HTMX,
    )

    assert response.status_code == 422
    assert escape(conversations.INTERNAL_NOTE_CANNOT_ANSWER) in response.content.decode()
    assert Comment.objects.count() == 1


def test_the_pm_answers_from_the_thread(world):
    update = shared_update(world)
    question = ask(world, update)
    client = client_for(world, "pm")

    form = client.get(thread(update) + f"&answer={question.pk}", **HTMX).content.decode()
    response = client.post(
        thread(update),
        {"body": "Week 14.", "answer_to": question.pk, "audience": "sponsor"},
        **HTMX,
    )

    assert f'<option value="{question.pk}" selected>' in form
    assert response.status_code == 200
    assert "Answer posted" in response.content.decode()
    question.refresh_from_db()
    assert question.answered_at is not None


def test_without_htmx_a_comment_redirects_to_it_in_its_thread(world):
    meeting = meeting_on(world.program)

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/comments/?meeting={meeting.pk}", {"body": "Agenda attached."}
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        f"/programs/HLX-101/comments/?meeting={meeting.pk}#comment-{comment.pk}"
    )


@pytest.mark.parametrize(
    "query",
    ["", "?update=", "?update=abc", "?update=1&milestone=1", "?deviation=1", "?update=99999"],
)
def test_a_thread_names_exactly_one_existing_target(world, query):
    shared_update(world)

    response = client_for(world, "pm").get(f"/programs/HLX-101/comments/{query}")

    assert response.status_code == 404


def test_another_programs_target_is_not_found_through_this_program(world):
    other = shared_update(world, program=world.program_b)

    assert client_for(world, "pm").get(thread(other)).status_code == 404


def test_a_sponsors_pages_never_show_internal_notes(world):
    update = shared_update(world)
    ask(world, update, body="Shared question")
    note(world, update, body="Internal only")
    client = client_for(world, "lead_a")

    pages = [
        client.get(thread(update)).content.decode(),
        client.get(thread(update) + "&fragment=comment-list", **HTMX).content.decode(),
        client.get("/programs/HLX-101/questions/").content.decode(),
        client.get("/programs/HLX-101/").content.decode(),
    ]

    assert all("Internal only" not in page for page in pages)
    assert "Shared question" in pages[0]
    assert f'id="discuss-count-update-{update.pk}" class="discuss-count">1<' in pages[3]
    pm_page = client_for(world, "pm").get(thread(update)).content.decode()
    assert "Internal only" in pm_page
    assert "Internal note" in pm_page


def test_the_program_page_offers_a_discussion_of_each_update(world):
    update = shared_update(world)
    draft = draft_update(world)

    body = client_for(world, "pm").get("/programs/HLX-101/").content.decode()

    assert f'id="discuss-update-{update.pk}" hx-preserve="true"' in body
    assert f'hx-get="{thread(update)}" hx-trigger="intersect once"' in body
    assert f'id="discuss-update-{draft.pk}"' in body


def test_the_questions_page_shows_waiting_time_and_time_to_answer(world):
    update = shared_update(world, title="Resin lead time")
    waiting = ask(world, update, body="Is batch 1 at risk?")
    answered = ask(world, milestone_on(world.program), body="Is the run on track?")
    Comment.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3, hours=2)
    )
    Comment.objects.filter(pk=answered.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=5)
    )
    answered.refresh_from_db()
    conversations.question_answer(actor=world.pm, question=answered, body="Yes, on track.")

    body = client_for(world, "viewer_a").get("/programs/HLX-101/questions/").content.decode()

    assert "Is batch 1 at risk?" in body
    assert "3 d 2 h" in body
    assert "Update · Resin lead time" in body
    assert "Yes, on track." in body
    assert "5 h" in body
    assert "answer=" not in body


def test_the_questions_fragment_follows_the_live_event(world):
    body = (
        client_for(world, "pm")
        .get("/programs/HLX-101/questions/?fragment=questions", **HTMX)
        .content.decode()
    )

    assert body.lstrip().startswith('<div id="questions"')
    assert 'hx-trigger="sse:program-HLX-101, every 30s"' in body


def test_the_open_questions_page_lists_the_pms_programs_oldest_first(world):
    newer = ask(world, shared_update(world), body="Newer question on Helix")
    older = ask(
        world,
        shared_update(world, program=world.program_b),
        body="Older question on Borealis",
        asker=world.lead_b,
    )
    Comment.objects.filter(pk=older.pk).update(created_at=timezone.now() - datetime.timedelta(1))
    conversations.question_answer(
        actor=world.pm,
        question=ask(world, shared_update(world), body="Answered one"),
        body="Done.",
    )

    body = client_for(world, "pm").get("/questions/").content.decode()

    assert body.index(older.body) < body.index(newer.body)
    assert "Answered one" not in body
    assert "sse:program-BOR-017, sse:program-HLX-101, every 30s" in body
    assert "across your 2 programs" in body
    staff = client_for(world, "staff").get("/questions/").content.decode()
    assert "not on any program" in staff


def test_following_a_notification_takes_the_asker_to_the_answer(world):
    question = ask(world, shared_update(world))
    answer = conversations.question_answer(actor=world.pm, question=question, body="Week 14.")
    notification = answer.notifications.get()

    response = client_for(world, "lead_a").get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302
    assert response["Location"] == notification.url
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_the_meeting_agenda_lists_open_questions(world):
    meeting = meeting_on(world.program)
    question = ask(world, shared_update(world), body="Can we move the call?")

    sections = {section.key: section for section in compose_agenda(world.program, meeting)}

    (item,) = sections["open-questions"].items
    assert sections["open-questions"].title == "Open questions"
    assert item.text == "Can we move the call?"
    assert item.url.endswith(f"#comment-{question.pk}")
