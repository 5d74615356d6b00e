"""Every conversation page, form and endpoint against every persona, on sponsor A's objects
(DESIGN §7). Another sponsor's object is a 404, never a 403; a rule a person's role breaks on
a form is a 422 with the rule's message; nothing is written on a refusal."""

import pytest
from django.test import Client

from comms.models import Comment, Notification
from tests.api.conftest import _fresh_throttles, new_token, post_json
from tests.comms.conversation_data import ask, draft_update, meeting_on, milestone_on, note
from tests.comms.conversation_data import shared_update as update_on
from tests.conftest import PERSONAS, client_for

pytestmark = pytest.mark.usefixtures(_fresh_throttles.__name__)

LOGIN = 302  # pages: anonymous users are sent to sign in
OK, REDIRECT, FORBIDDEN, NOT_FOUND, INVALID = 200, 302, 403, 404, 422
CREATED, UNAUTHENTICATED = 201, 401
THREAD = "/programs/HLX-101/comments/"

# (method, url, form data, expected status per persona in PERSONAS order:
#  anonymous, lead_a, viewer_a, lead_b, staff, pm, leader)
PAGES = [
    ("get", THREAD + "?update={update}", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", THREAD + "?milestone={milestone}", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", THREAD + "?meeting={meeting}", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", THREAD + "?update={draft}", None, [LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK, OK]),
    (
        "get",
        THREAD + "?update={update}&fragment=comment-list",
        None,
        [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK],
    ),
    (
        "post",
        THREAD + "?update={update}",
        {"body": "Matrix"},
        [LOGIN, REDIRECT, REDIRECT, NOT_FOUND, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "post",
        THREAD + "?milestone={milestone}",
        {"body": "Matrix", "is_question": "on"},
        [LOGIN, REDIRECT, REDIRECT, NOT_FOUND, INVALID, INVALID, INVALID],
    ),
    (
        "post",
        THREAD + "?meeting={meeting}",
        {"body": "Matrix", "audience": "internal"},
        [LOGIN, INVALID, INVALID, NOT_FOUND, REDIRECT, REDIRECT, REDIRECT],
    ),
    (
        "post",
        THREAD + "?update={update}",
        {"body": "Matrix", "answer_to": "{question}", "audience": "sponsor"},
        [LOGIN, INVALID, INVALID, NOT_FOUND, INVALID, REDIRECT, REDIRECT],
    ),
    (
        "post",
        THREAD + "?update={draft}",
        {"body": "Matrix"},
        [LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT, REDIRECT, REDIRECT],
    ),
    ("get", "/programs/HLX-101/questions/", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    (
        "get",
        "/programs/HLX-101/questions/?fragment=questions",
        None,
        [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK],
    ),
    ("get", "/questions/", None, [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK]),
    (
        "get",
        "/notifications/{notification}/",
        None,
        [LOGIN, REDIRECT, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    ),
]


def _objects(world) -> dict[str, int]:
    update = update_on(world)
    question = ask(world, update, body="Open question")
    notification = Notification.objects.create(
        recipient=world.lead_a, channel="in_app", update=update, subject="S", url="/programs/"
    )
    note(world, update, body="Internal note")
    return {
        "update": update.pk,
        "draft": draft_update(world).pk,
        "milestone": milestone_on(world.program).pk,
        "meeting": meeting_on(world.program).pk,
        "question": question.pk,
        "notification": notification.pk,
    }


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"), PAGES, ids=[f"{m} {u} {d}" for m, u, d, _ in PAGES]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_conversation_pages(world, persona, method, url, data, expected):
    ids = _objects(world)
    url = url.format(**ids)
    data = {k: v.format(**ids) for k, v in data.items()} if data else None
    before = Comment.objects.count()
    question = Comment.objects.get(pk=ids["question"])

    response = getattr(client_for(world, persona), method)(url, data)

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if method == "post" and response.status_code != REDIRECT:
        assert Comment.objects.count() == before
        question.refresh_from_db()
        assert question.is_open_question
    if response.status_code == OK and persona in {"lead_a", "viewer_a"}:
        assert "Internal note" not in response.content.decode()


# (method, url, body, expected status per persona in PERSONAS order)
API = "/api/v1/programs/HLX-101"
ENDPOINTS = [
    ("get", f"{API}/comments/", None, [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
    (
        "get",
        f"{API}/comments/?update={{update}}&is_question=true&open=true",
        None,
        [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK],
    ),
    (
        "post",
        f"{API}/comments/",
        {"target_type": "update", "target_id": "{update}", "body": "Matrix"},
        [UNAUTHENTICATED, CREATED, CREATED, NOT_FOUND, CREATED, CREATED, CREATED],
    ),
    (
        "post",
        f"{API}/comments/",
        {
            "target_type": "milestone",
            "target_id": "{milestone}",
            "body": "Matrix",
            "is_question": True,
        },
        [UNAUTHENTICATED, CREATED, CREATED, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN],
    ),
    (
        "post",
        f"{API}/comments/",
        {
            "target_type": "meeting",
            "target_id": "{meeting}",
            "body": "Matrix",
            "audience": "internal",
        },
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, CREATED, CREATED, CREATED],
    ),
    (
        "post",
        f"{API}/comments/",
        {"target_type": "update", "target_id": "{draft}", "body": "Matrix", "audience": "internal"},
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, CREATED, CREATED, CREATED],
    ),
    (
        "post",
        f"{API}/comments/{{question}}/answer/",
        {"body": "Matrix"},
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED],
    ),
    ("get", f"{API}/questions/", None, [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", f"{API}/questions/?open=true", None, [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
]


def _api_client(world, persona: str, auth: str) -> Client:
    if auth == "session":
        return client_for(world, persona)
    if persona == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Token {new_token(getattr(world, persona))}"})


def _fill(value, ids: dict[str, int]):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    ENDPOINTS,
    ids=[f"{m} {u} {b}" for m, u, b, _ in ENDPOINTS],
)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("auth", ["session", "token"])
def test_conversation_endpoints(world, auth, persona, method, url, body, expected):
    ids = _objects(world)
    url = url.format(**ids)
    client = _api_client(world, persona, auth)
    before = Comment.objects.count()

    if method == "post":
        response = post_json(client, url, {k: _fill(v, ids) for k, v in body.items()})
    else:
        response = client.get(url)

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if response.status_code != CREATED:
        assert Comment.objects.count() == before
    if response.status_code in (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND):
        assert set(response.json()) == {"error"}
    if response.status_code == OK and persona in {"lead_a", "viewer_a"}:
        assert "Internal note" not in response.content.decode()
