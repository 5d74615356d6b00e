"""Conversation pages and endpoints cost the same number of queries with 3 programs as with
300 (DESIGN §7): every question, answer, note and program is fetched in bulk."""

import itertools

import pytest
from django.utils import timezone

from comms.models import Comment, Update
from programs.models import Program, ProgramMember
from tests.comms.conversation_data import shared_update
from tests.support.api import new_token, token_client
from tests.support.queries import count_queries, htmx_if_fragment
from tests.support.world import client_for

_codes = itertools.count(1)


def _grow(world, programs: int, thread: Update) -> None:
    """`programs` more Helix programs on the PM's team, each with an update, an open question,
    an answered one with its answer and an internal note; and as many more comments on
    `thread`, the HLX-101 update whose discussion the thread pages show."""
    now = timezone.now()
    new = Program.objects.bulk_create(
        Program(sponsor=world.sponsor_a, code=f"QB{next(_codes)}-1", name="Budget", phase="phase_2")
        for _ in range(programs)
    )
    ProgramMember.objects.bulk_create(
        ProgramMember(program=p, user=world.pm, role="dedicated_pm") for p in new
    )
    updates = Update.objects.bulk_create(
        Update(program=p, title="Status", body="Fine.", author=world.pm, published_at=now)
        for p in new
    )
    targets = [*((u.program, u) for u in updates), *((world.program, thread),) * programs]
    questions = Comment.objects.bulk_create(
        Comment(
            program=p,
            update=u,
            author=world.lead_a,
            body=f"Q{n}",
            is_question=True,
            audience="sponsor",
        )
        for n, (p, u) in enumerate(targets * 2)
    )
    answered = questions[len(targets) :]
    for question in answered:
        question.answered_at, question.answer_seconds = now, 3600
    Comment.objects.bulk_update(answered, ["answered_at", "answer_seconds"])
    Comment.objects.bulk_create(
        [
            *(
                Comment(
                    program=q.program,
                    update=q.update,
                    author=world.pm,
                    body="A",
                    answer_to=q,
                    audience="sponsor",
                )
                for q in answered
            ),
            *(
                Comment(program=p, update=u, author=world.pm, body="Note", audience="internal")
                for p, u in targets
            ),
        ]
    )


PAGES = [
    ("/programs/HLX-101/questions/", ["lead_a", "pm"]),
    ("/programs/HLX-101/questions/?fragment=questions", ["viewer_a", "leader"]),
    ("/questions/", ["pm", "leader"]),
    ("/programs/HLX-101/comments/?update={thread}", ["lead_a", "pm"]),
    ("/programs/HLX-101/comments/?update={thread}&fragment=comment-list", ["lead_a", "pm"]),
]


@pytest.mark.parametrize(
    ("url", "persona"), [(url, p) for url, personas in PAGES for p in personas]
)
def test_conversation_pages_cost_the_same_with_3_and_300_programs(world, url, persona):
    thread = shared_update(world)
    url = url.format(thread=thread.pk)
    client = client_for(world, persona)
    _grow(world, programs=3, thread=thread)
    small = count_queries(client, url, headers=htmx_if_fragment(url))
    _grow(world, programs=297, thread=thread)
    large = count_queries(client, url, headers=htmx_if_fragment(url))

    assert large == small
    assert small <= 12


ENDPOINTS = [
    "/api/v1/programs/HLX-101/comments/",
    "/api/v1/programs/HLX-101/comments/?is_question=true&open=false",
    "/api/v1/programs/HLX-101/questions/",
]


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_conversation_endpoints_cost_the_same_with_3_and_300_programs(world, url, persona):
    thread = shared_update(world)
    client = token_client(new_token(getattr(world, persona)))
    client.get(url)  # the token's first use records when it was used; later ones don't
    _grow(world, programs=3, thread=thread)
    small = count_queries(client, url, headers=htmx_if_fragment(url))
    _grow(world, programs=297, thread=thread)
    large = count_queries(client, url, headers=htmx_if_fragment(url))

    assert large == small
    assert small <= 8
