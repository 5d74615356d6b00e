"""Permission rows of program pages, updates, notifications and conversations (on updates,
milestones, meetings and deviations), pages and API."""

from tests.support.permissions import (
    API_SEES,
    LOGIN,
    SEES,
    SIGNED_IN,
    Row,
    statuses,
)

A = {"code": "HLX-101"}
# A sponsor's rule broken on a form is a 422 with the rule's message.
OK, REDIRECT, INVALID, CREATED = 200, 302, 422, 201
UPDATE_FORM = {
    "title": "Matrix",
    "body": "Row",
    "category": "general",
    "significance": "info",
    "audience": "sponsor",
}

PAGES = [
    Row("program-list", SIGNED_IN),
    Row("program-detail", SEES, kwargs=A),
    Row("program-detail", SEES, kwargs=A, query="fragment=feed"),
    Row("program-detail", SEES, kwargs=A, query="fragment=overview"),
    Row(
        "update-create",
        statuses(LOGIN, 403, 403, 404, 403, 302, 302, 404),
        kwargs=A,
        method="post",
        data=UPDATE_FORM,
    ),
    # An internal draft does not exist for a sponsor.
    Row(
        "update-publish",
        statuses(LOGIN, 404, 404, 404, 403, 302, 302, 404),
        kwargs={**A, "pk": "{draft}"},
        method="post",
        data={},
    ),
    Row(
        "program-health",
        statuses(LOGIN, 403, 403, 404, 403, 302, 302, 404),
        kwargs=A,
        method="post",
        data={"health": "red", "reason": "Matrix"},
    ),
    Row("program-history", SEES, kwargs=A),
    Row("program-history", SEES, kwargs=A, query="export=csv"),
    Row("workspace", statuses(LOGIN, 302, 302, 302, 200, 200, 200, 302)),
    Row("notification-list", SIGNED_IN),
    Row(
        "notification-open",
        statuses(LOGIN, 302, 404, 404, 404, 404, 404, 404),
        kwargs={"pk": "{notification}"},
    ),
    Row("notification-list", SIGNED_IN, query="unread=1"),
    Row("notification-bell", SIGNED_IN),
    Row("notification-preferences", SIGNED_IN),
    Row(
        "notification-preferences",
        statuses(LOGIN, *[REDIRECT] * 7),
        method="post",
        data={"hour": "8", "weekday": "0", "digests_enabled": "on", "kind_deviation": "weekly"},
    ),
    # Marking read touches only the person's own notifications; someone else's id is ignored.
    Row(
        "notifications-mark-read",
        statuses(LOGIN, *[REDIRECT] * 7),
        method="post",
        data={"id": "{notification}"},
    ),
    Row(
        "notifications-mark-read",
        statuses(LOGIN, *[REDIRECT] * 7),
        method="post",
        data={"all": "1"},
        label="all",
    ),
    # The one-click unsubscribe needs no login: the signed token is the authority.
    Row("digest-unsubscribe", statuses(*[OK] * 8), kwargs={"token": "{unsubscribe}"}),
    Row(
        "digest-unsubscribe",
        statuses(*[OK] * 8),
        kwargs={"token": "{unsubscribe}"},
        method="post",
        data={},
    ),
    Row("digest-unsubscribe", statuses(*[404] * 8), kwargs={"token": "forged"}, label="forged"),
    Row("program-questions", SEES, kwargs=A),
    Row("program-questions", SEES, kwargs=A, query="fragment=questions"),
    Row("open-questions", statuses(LOGIN, 403, 403, 403, 200, 200, 200, 403)),
]

THREADS = [
    Row("comment-thread", SEES, kwargs=A, query="update={update}"),
    Row("comment-thread", SEES, kwargs=A, query="milestone={ms}"),
    Row("comment-thread", SEES, kwargs=A, query="meeting={meeting}"),
    Row("comment-thread", SEES, kwargs=A, query="deviation={deviation}"),
    Row(
        "comment-thread",
        statuses(LOGIN, 404, 404, 404, 200, 200, 200, 404),
        kwargs=A,
        query="update={draft}",
    ),
    Row("comment-thread", SEES, kwargs=A, query="update={update}&fragment=comment-list"),
    Row("comment-thread", SEES, kwargs=A, query="deviation={deviation}&fragment=comment-list"),
    # Sponsor B's deviation is no thread of sponsor A's program, for anyone.
    Row(
        "comment-thread",
        statuses(LOGIN, 404, 404, 404, 404, 404, 404, 404),
        kwargs=A,
        query="deviation={other_deviation}",
    ),
]
for target in ("update={update}", "deviation={deviation}"):
    THREADS += [
        Row(
            "comment-thread",
            statuses(LOGIN, REDIRECT, REDIRECT, 404, REDIRECT, REDIRECT, REDIRECT, 404),
            kwargs=A,
            query=target,
            method="post",
            data={"body": "Matrix"},
            label="comment",
        ),
        Row(
            "comment-thread",
            statuses(LOGIN, INVALID, INVALID, 404, INVALID, REDIRECT, REDIRECT, 404),
            kwargs=A,
            query=target,
            method="post",
            data={
                "body": "Matrix",
                "answer_to": "{deviation_question}"
                if target.startswith("deviation")
                else "{question}",
                "audience": "sponsor",
            },
            label="answer",
        ),
    ]
for target in ("milestone={ms}", "deviation={deviation}"):
    THREADS.append(
        Row(
            "comment-thread",
            statuses(LOGIN, REDIRECT, REDIRECT, 404, INVALID, INVALID, INVALID, 404),
            kwargs=A,
            query=target,
            method="post",
            data={"body": "Matrix", "is_question": "on"},
            label="question",
        )
    )
for target in ("meeting={meeting}", "deviation={deviation}"):
    THREADS.append(
        Row(
            "comment-thread",
            statuses(LOGIN, INVALID, INVALID, 404, REDIRECT, REDIRECT, REDIRECT, 404),
            kwargs=A,
            query=target,
            method="post",
            data={"body": "Matrix", "audience": "internal"},
            label="internal note",
        )
    )
THREADS.append(
    Row(
        "comment-share",
        statuses(LOGIN, 404, 404, 404, 403, REDIRECT, REDIRECT, 404),
        kwargs={**A, "pk": "{internal_note}"},
        method="post",
        data={},
    )
)
THREADS.append(
    Row(
        "comment-thread",
        statuses(LOGIN, 404, 404, 404, REDIRECT, REDIRECT, REDIRECT, 404),
        kwargs=A,
        query="update={draft}",
        method="post",
        data={"body": "Matrix"},
        label="on a draft",
    )
)

API = [
    Row("api-program-list", statuses(401, OK, OK, OK, OK, OK, OK, OK)),
    Row("api-program-detail", API_SEES, kwargs=A),
    Row("api-program-status", API_SEES, kwargs=A),
    Row("api-program-updates", API_SEES, kwargs=A),
    Row(
        "api-program-updates",
        statuses(401, 403, 403, 404, 403, CREATED, CREATED, 404),
        kwargs=A,
        method="post",
        data={"title": "Matrix", "body": "Row"},
    ),
    Row("api-program-comments", API_SEES, kwargs=A),
    Row(
        "api-program-comments",
        API_SEES,
        kwargs=A,
        query="update={update}&is_question=true&open=true",
    ),
    Row("api-program-comments", API_SEES, kwargs=A, query="deviation={deviation}"),
    Row("api-program-questions", API_SEES, kwargs=A),
    Row("api-program-questions", API_SEES, kwargs=A, query="open=true"),
    Row("api-notification-list", statuses(401, *[OK] * 7)),
    Row("api-notification-list", statuses(401, *[OK] * 7), query="unread=true"),
    # Only the recipient may mark their notification; to anyone else it does not exist.
    Row(
        "api-notification-read",
        statuses(401, OK, *[404] * 6),
        kwargs={"id": "{notification}"},
        method="post",
        data={},
    ),
    Row("api-notifications-read", statuses(401, *[OK] * 7), method="post", data={}),
    Row("api-notification-preferences", statuses(401, *[OK] * 7)),
    Row(
        "api-notification-preferences",
        statuses(401, *[OK] * 7),
        method="post",
        data={
            "kinds": {"deviation": "weekly"},
            "digest_hour": 7,
            "digest_weekday": 4,
            "digests_enabled": True,
        },
    ),
]
for kind in ("update", "deviation"):
    API += [
        Row(
            "api-program-comments",
            statuses(401, CREATED, CREATED, 404, CREATED, CREATED, CREATED, 404),
            kwargs=A,
            method="post",
            data={"target_type": kind, "target_id": f"{{{kind}}}", "body": "Matrix"},
            label=f"comment on a {kind}",
        ),
    ]
for kind, key in (("milestone", "ms"), ("deviation", "deviation")):
    API.append(
        Row(
            "api-program-comments",
            statuses(401, CREATED, CREATED, 404, 403, 403, 403, 404),
            kwargs=A,
            method="post",
            data={
                "target_type": kind,
                "target_id": f"{{{key}}}",
                "body": "Matrix",
                "is_question": True,
            },
            label=f"question on a {kind}",
        )
    )
for kind, key in (("meeting", "meeting"), ("update", "draft"), ("deviation", "deviation")):
    API.append(
        Row(
            "api-program-comments",
            statuses(401, 403, 403, 404, CREATED, CREATED, CREATED, 404),
            kwargs=A,
            method="post",
            data={
                "target_type": kind,
                "target_id": f"{{{key}}}",
                "body": "Matrix",
                "audience": "internal",
            },
            label=f"internal note on a {key}",
        )
    )
API += [
    Row(
        "api-program-comments",
        statuses(401, 404, 404, 404, 404, 404, 404, 404),
        kwargs=A,
        method="post",
        data={"target_type": "deviation", "target_id": "{other_deviation}", "body": "Matrix"},
        label="on sponsor B's deviation",
    ),
    Row(
        "api-comment-answer",
        statuses(401, 403, 403, 404, 403, CREATED, CREATED, 404),
        kwargs={**A, "id": "{question}"},
        method="post",
        data={"body": "Matrix"},
    ),
    Row(
        "api-comment-answer",
        statuses(401, 403, 403, 404, 403, CREATED, CREATED, 404),
        kwargs={**A, "id": "{deviation_question}"},
        method="post",
        data={"body": "Matrix"},
        label="on a deviation",
    ),
]

ROWS = PAGES + THREADS + API
