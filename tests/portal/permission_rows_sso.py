"""Permission rows of single sign-on: the email-first start page (anyone), the OpenID Connect
callback (no provider in the scene: 404 for all), and the CDMO administrators' provider pages."""

from tests.support.permissions import LOGIN, Row, statuses

ROWS = [
    Row("sso-start", statuses(200, 302, 302, 302, 302, 302, 302, 302), public=True),
    Row(
        "sso-start",
        statuses(422, 302, 302, 302, 302, 302, 302, 302),
        method="post",
        data={"email": ""},
        public=True,
        label="empty form",
    ),
    Row(
        "openid_connect_callback",
        statuses(404, 404, 404, 404, 404, 404, 404, 404),
        kwargs={"provider_id": "sso-nobody"},
        public=True,
    ),
    Row("sso-settings", statuses(LOGIN, 404, 404, 404, 403, 403, 200, 404)),
    Row(
        "sso-provider", statuses(LOGIN, 404, 404, 404, 403, 403, 200, 404), kwargs={"slug": "helix"}
    ),
    Row(
        "sso-provider",
        statuses(LOGIN, 404, 404, 404, 403, 403, 422, 404),
        kwargs={"slug": "helix"},
        method="post",
        data={"server_url": "", "client_id": ""},
        label="empty form",
    ),
    Row(
        "sso-provider-remove",
        statuses(LOGIN, 404, 404, 404, 403, 403, 302, 404),
        kwargs={"slug": "helix"},
        method="post",
        data={"reason": "Matrix"},
    ),
]
