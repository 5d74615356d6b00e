"""Permission rows of the core pages: sign-in, tokens, health probes, the stream, the API's
schema and the calendar feed."""

from tests.support.permissions import EVERYONE, LOGIN, SIGNED_IN, Row, statuses

ROWS = [
    Row("home", statuses(LOGIN, 302, 302, 302, 302, 302, 302, 302)),
    Row("healthz", EVERYONE, public=True),
    Row("readyz", EVERYONE, public=True),
    # Through Django, `/events/` only says "no stream here" (204): the stream itself is served
    # by portal/asgi.py, outside the resolver; its access is tested in tests/portal/test_stream.py.
    Row("events", statuses(204, 204, 204, 204, 204, 204, 204, 204), public=True),
    Row("login", statuses(200, 302, 302, 302, 302, 302, 302, 302), public=True),
    Row(
        "login",
        statuses(200, 302, 302, 302, 302, 302, 302, 302),
        method="post",
        data={},
        public=True,
        label="empty form",
    ),
    Row("account_login", statuses(200, 302, 302, 302, 302, 302, 302, 302), public=True),
    Row(
        "account_login",
        statuses(200, 302, 302, 302, 302, 302, 302, 302),
        method="post",
        data={},
        public=True,
        label="empty form",
    ),
    Row("logout", statuses(302, 302, 302, 302, 302, 302, 302, 302), method="post", data={}),
    Row("password_change", SIGNED_IN),
    Row(
        "password_change",
        SIGNED_IN,
        method="post",
        data={},
        label="empty form",
    ),
    Row("password_change_done", SIGNED_IN),
    # API tokens are a sponsor lead's, for their own organisation's systems, and a CDMO
    # administrator's (leadership) for the CDMO's.
    Row("token-list", statuses(LOGIN, 200, 403, 200, 403, 403, 200, 403)),
    Row(
        "token-list",
        statuses(LOGIN, 422, 403, 422, 403, 403, 422, 403),
        method="post",
        data={"name": ""},
        label="no name",
    ),
    Row(
        "token-revoke",
        statuses(LOGIN, 302, 404, 404, 404, 404, 404, 404),
        kwargs={"pk": "{token}"},
        method="post",
        data={},
    ),
    # The site calendar: the CDMO reads it, leadership keeps it; sponsors do not find it.
    Row("holiday-list", statuses(LOGIN, 404, 404, 404, 200, 200, 200, 404)),
    Row(
        "holiday-list",
        statuses(LOGIN, 404, 404, 404, 403, 403, 422, 404),
        method="post",
        data={"day": "", "name": ""},
        label="empty form",
    ),
    Row(
        "holiday-remove",
        statuses(LOGIN, 404, 404, 404, 403, 403, 302, 404),
        kwargs={"pk": "{holiday}"},
        method="post",
        data={"reason": "Matrix"},
    ),
    # Django's admin is outside the coverage scan, but its door is kept here: only the
    # superuser is let in; everyone else is sent to the admin's own sign-in page.
    Row("admin:index", statuses(302, 302, 302, 302, 302, 302, 302, 200), public=True),
    # The schema and its docs describe the API, not anyone's data, to signed-in users only:
    # anonymous gets the API's 401 for the schema and the sign-in page for the docs.
    Row("api-schema", statuses(401, 200, 200, 200, 200, 200, 200, 200), public=True),
    Row("api-docs", statuses(LOGIN, 200, 200, 200, 200, 200, 200, 200), public=True),
    Row("api-not-found", statuses(404, 404, 404, 404, 404, 404, 404, 404)),
]
