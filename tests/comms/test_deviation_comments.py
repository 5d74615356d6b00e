"""A deviation is the fourth thing a conversation hangs on: the sponsor asks about it, the
program's CDMO team answers, internal notes stay internal, and another sponsor's people never
find the thread (DESIGN §7)."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from comms.models import Comment, Notification
from deviations.models import Deviation
from deviations.services import reporting as deviation_services
from tests.comms.conversation_data import ask, note, shared_update
from tests.deviations.conftest import log_deviation
from tests.support.api import api_client, post_json
from tests.support.world import client_for

OK, CREATED, REDIRECT, NOT_FOUND = 200, 201, 302, 404
THREAD = "/programs/HLX-101/comments/"
API = "/api/v1/programs/HLX-101/comments/"


def thread_of(deviation: Deviation) -> str:
    return f"{THREAD}?deviation={deviation.pk}"


def borealis_deviation(world) -> Deviation:
    now = timezone.now()
    return deviation_services.deviation_log(
        actor=world.pm,
        program=world.program_b,
        title="Viral vector titre out of range",
        description="Titre below specification.",
        classification="minor",
        occurred_at=now - datetime.timedelta(hours=3),
        aware_at=now - datetime.timedelta(hours=2),
    )


# --- Asking and answering ------------------------------------------------------------------


def test_a_sponsor_asks_about_a_deviation_and_the_pm_answers(world):
    deviation = log_deviation(world)
    lead = client_for(world, "lead_a")

    asked = lead.post(
        thread_of(deviation), {"body": "Is batch L-2041 still releasable?", "is_question": "on"}
    )

    assert asked.status_code == REDIRECT
    question = Comment.objects.get(deviation=deviation, is_question=True)
    assert question.is_open_question
    assert question.author == world.lead_a

    answered = client_for(world, "pm").post(
        thread_of(deviation),
        {"body": "Yes: the filter was replaced before use.", "answer_to": question.pk},
    )

    assert answered.status_code == REDIRECT
    question.refresh_from_db()
    assert question.answered_at is not None
    assert question.answer_seconds is not None
    answer = Comment.objects.get(answer_to=question)
    assert answer.deviation == deviation
    assert answer.audience == "sponsor"
    notification = Notification.objects.get(recipient=world.lead_a, comment=answer)
    assert f"?deviation={deviation.pk}" in notification.url
    page = lead.get(thread_of(deviation)).content.decode()
    assert "Is batch L-2041 still releasable?" in page
    assert "the filter was replaced before use" in page
    assert deviation.reference in page


def test_the_thread_page_names_the_deviation_and_links_back_to_it(world):
    deviation = log_deviation(world)

    page = client_for(world, "viewer_a").get(thread_of(deviation)).content.decode()

    assert deviation.title in page
    assert f"/deviations/{deviation.reference}/" in page


def test_another_sponsor_gets_a_404_on_the_deviation_thread(world):
    deviation = log_deviation(world)
    ask(world, deviation, body="Secret Helix question")

    response = client_for(world, "lead_b").get(thread_of(deviation))

    assert response.status_code == NOT_FOUND
    assert b"Secret Helix question" not in response.content


def test_a_deviation_of_another_program_is_no_thread_of_this_one(world):
    other = borealis_deviation(world)

    for persona in ("lead_a", "staff", "pm", "leader"):
        response = client_for(world, persona).get(thread_of(other))
        assert response.status_code == NOT_FOUND, persona


def test_an_internal_note_on_a_deviation_is_invisible_to_the_sponsor(world):
    deviation = log_deviation(world)
    note(world, deviation, body="Operator retraining overdue")
    ask(world, deviation, body="Which operator?")

    sponsor_page = client_for(world, "lead_a").get(thread_of(deviation)).content.decode()
    team_page = client_for(world, "pm").get(thread_of(deviation)).content.decode()
    sponsor_api = api_client(world, "viewer_a").get(f"{API}?deviation={deviation.pk}")
    team_api = api_client(world, "staff").get(f"{API}?deviation={deviation.pk}")

    assert "Which operator?" in sponsor_page
    assert "Operator retraining overdue" not in sponsor_page
    assert "Operator retraining overdue" in team_page
    assert sponsor_api.status_code == OK
    assert [c["body"] for c in sponsor_api.json()["results"]] == ["Which operator?"]
    assert {c["body"] for c in team_api.json()["results"]} == {
        "Which operator?",
        "Operator retraining overdue",
    }
    assert {c["target_type"] for c in team_api.json()["results"]} == {"deviation"}


def test_the_api_filter_keeps_to_the_one_deviation(world):
    first = log_deviation(world)
    second = log_deviation(world, title="Bioburden excursion")
    ask(world, first, body="About the filter")
    ask(world, second, body="About the bioburden")

    response = api_client(world, "lead_a").get(f"{API}?deviation={second.pk}")

    assert [c["body"] for c in response.json()["results"]] == ["About the bioburden"]
    assert response.json()["results"][0]["target_id"] == second.pk
    assert response.json()["results"][0]["target_title"] == "Bioburden excursion"


def test_a_sponsor_asks_about_a_deviation_over_the_api(world):
    deviation = log_deviation(world)

    response = post_json(
        api_client(world, "lead_a"),
        API,
        {
            "target_type": "deviation",
            "target_id": deviation.pk,
            "body": "When is the investigation due?",
            "is_question": True,
        },
    )

    assert response.status_code == CREATED, response.content[:300]
    assert response.json()["target_type"] == "deviation"
    assert Comment.objects.get(pk=response.json()["id"]).deviation == deviation


def test_a_comment_on_a_deviation_and_something_else_breaks_the_constraint(world):
    deviation = log_deviation(world)
    comment = ask(world, deviation)
    comment.pk = None
    comment.update = shared_update(world)

    with pytest.raises(IntegrityError), transaction.atomic():
        comment.save()


# --- The deviation's page ------------------------------------------------------------------


def test_the_deviation_page_carries_its_comments_and_questions(world):
    deviation = log_deviation(world)

    page = client_for(world, "lead_a").get(f"/deviations/{deviation.reference}/").content.decode()

    assert "Comments and questions" in page
    assert f"comments/?deviation={deviation.pk}" in page
