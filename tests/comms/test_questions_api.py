"""Comments and questions over REST: the same rules as the pages."""

import pytest

from comms.models import Comment
from comms.services import conversations
from tests.comms.conversation_data import (
    ask,
    draft_update,
    meeting_on,
    milestone_on,
    note,
    shared_update,
)
from tests.support.api import assert_error, new_token, post_json, token_client

COMMENTS = "/api/v1/programs/HLX-101/comments/"
QUESTIONS = "/api/v1/programs/HLX-101/questions/"


def api(user):
    return token_client(new_token(user))


def test_a_sponsor_asks_a_question_over_the_api(world):
    update = shared_update(world, title="Resin lead time")

    response = post_json(
        api(world.lead_a),
        COMMENTS,
        {
            "target_type": "update",
            "target_id": update.pk,
            "body": "Is GMP batch 1 at risk?",
            "is_question": True,
        },
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["target_type"] == "update"
    assert data["target_id"] == update.pk
    assert data["target_title"] == "Resin lead time"
    assert data["author"]["email"] == world.lead_a.email
    assert data["author_side"] == "sponsor"
    assert data["is_question"] is True
    assert data["is_open"] is True
    assert data["audience"] == "sponsor"
    assert Comment.objects.get().is_open_question


def test_the_pm_answers_over_the_api_and_the_question_closes(world):
    question = ask(world, milestone_on(world.program))

    response = post_json(
        api(world.pm), f"{COMMENTS}{question.pk}/answer/", {"body": "Week 14, on track."}
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["answer_to"] == question.pk
    assert data["target_type"] == "milestone"
    assert data["author_side"] == "cdmo"
    question.refresh_from_db()
    assert question.answered_at is not None
    listed = api(world.lead_a).get(QUESTIONS).json()["results"]
    assert listed[0]["is_open"] is False
    assert listed[0]["answer_seconds"] == question.answer_seconds


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_answers_over_the_api(world, persona):
    question = ask(world, shared_update(world))

    response = post_json(
        api(getattr(world, persona)), f"{COMMENTS}{question.pk}/answer/", {"body": "Me!"}
    )

    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == conversations.ONLY_TEAM_ANSWERS
    question.refresh_from_db()
    assert question.is_open_question
    assert Comment.objects.count() == 1


def test_only_a_question_can_be_answered_over_the_api(world):
    comment = conversations.comment_post(
        actor=world.lead_a, target=shared_update(world), body="Thanks."
    )

    response = post_json(api(world.pm), f"{COMMENTS}{comment.pk}/answer/", {"body": "Sure."})

    assert_error(response, 404, "not_found")


def test_sponsor_tokens_never_see_internal_notes(world):
    update = shared_update(world)
    ask(world, update, body="Shared question")
    note(world, update, body="Internal only")

    for user in (world.lead_a, world.viewer_a):
        client = api(user)
        for url in (COMMENTS, QUESTIONS, f"{COMMENTS}?update={update.pk}"):
            content = client.get(url).content.decode()
            assert "Internal only" not in content
            assert "internal" not in content
    pm_bodies = {c["body"] for c in api(world.pm).get(COMMENTS).json()["results"]}
    assert pm_bodies == {"Shared question", "Internal only"}


def test_a_sponsor_cannot_post_an_internal_note(world):
    update = shared_update(world)

    response = post_json(
        api(world.viewer_a),
        COMMENTS,
        {"target_type": "update", "target_id": update.pk, "body": "Psst", "audience": "internal"},
    )

    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == conversations.SPONSOR_COMMENTS_ARE_SHARED
    assert not Comment.objects.exists()


def test_the_cdmo_does_not_ask_questions(world):
    update = shared_update(world)

    response = post_json(
        api(world.pm),
        COMMENTS,
        {"target_type": "update", "target_id": update.pk, "body": "Hm?", "is_question": True},
    )

    assert (
        assert_error(response, 403, "permission_denied")["message"]
        == conversations.ONLY_SPONSORS_ASK
    )


def test_comments_on_a_draft_stay_internal(world):
    draft = draft_update(world)
    client = api(world.pm)

    shared = post_json(
        client, COMMENTS, {"target_type": "update", "target_id": draft.pk, "body": "Ready?"}
    )
    internal = post_json(
        client,
        COMMENTS,
        {"target_type": "update", "target_id": draft.pk, "body": "Ready?", "audience": "internal"},
    )

    assert (
        assert_error(shared, 409, "conflict")["message"]
        == conversations.DRAFT_COMMENTS_STAY_INTERNAL
    )
    assert internal.status_code == 201


@pytest.mark.parametrize("target", ["draft", "other_program", "missing"])
def test_a_target_the_user_cannot_see_is_not_found(world, target):
    ids = {
        "draft": draft_update(world).pk,
        "other_program": shared_update(world, program=world.program_b).pk,
        "missing": 987_654,
    }

    response = post_json(
        api(world.lead_a),
        COMMENTS,
        {"target_type": "update", "target_id": ids[target], "body": "Hello?"},
    )

    assert_error(response, 404, "not_found")
    assert not Comment.objects.exists()


def test_bad_input_names_the_fields(world):
    response = post_json(
        api(world.lead_a),
        COMMENTS,
        {"target_type": "invoice", "target_id": 0, "body": "  ", "colour": "red"},
    )

    assert_error(response, 400, "invalid", fields={"target_type", "target_id", "body", "colour"})


def test_comments_filter_by_target_question_and_open(world):
    update = shared_update(world)
    milestone = milestone_on(world.program)
    meeting = meeting_on(world.program)
    open_question = ask(world, update, body="Open")
    answered = ask(world, milestone, body="Answered")
    conversations.question_answer(actor=world.pm, question=answered, body="Answer")
    conversations.comment_post(actor=world.pm, target=meeting, body="Agenda")
    client = api(world.viewer_a)

    def bodies(url: str) -> list[str]:
        response = client.get(url)
        assert response.status_code == 200, response.content
        return [c["body"] for c in response.json()["results"]]

    assert bodies(f"{COMMENTS}?update={update.pk}") == ["Open"]
    assert bodies(f"{COMMENTS}?milestone={milestone.pk}") == ["Answered", "Answer"]
    assert bodies(f"{COMMENTS}?meeting={meeting.pk}") == ["Agenda"]
    assert bodies(f"{COMMENTS}?is_question=true") == ["Open", "Answered"]
    assert bodies(f"{COMMENTS}?is_question=false") == ["Answer", "Agenda"]
    assert bodies(f"{COMMENTS}?is_question=true&open=true") == [open_question.body]
    assert bodies(f"{QUESTIONS}?open=false") == ["Answered"]
    assert bodies(QUESTIONS) == ["Open", "Answered"]


@pytest.mark.parametrize("query", ["update=abc", "milestone=0", "meeting=99999999999999"])
def test_a_bad_filter_is_a_400_naming_it(world, query):
    response = api(world.lead_a).get(f"{COMMENTS}?{query}")

    assert_error(response, 400, "invalid", fields={query.split("=")[0]})


def test_another_sponsors_program_is_not_found(world):
    assert_error(api(world.lead_b).get(COMMENTS), 404, "not_found")
    assert_error(api(world.lead_b).get(QUESTIONS), 404, "not_found")
