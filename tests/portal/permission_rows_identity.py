"""Permission rows of the account lifecycle pages: password reset by email (public) and the
locked accounts page of CDMO administrators (leadership)."""

from tests.support.permissions import LOGIN, Row, statuses

ALL_200 = statuses(200, 200, 200, 200, 200, 200, 200, 200)

ROWS = [
    Row("account_reset_password", ALL_200, public=True),
    Row(
        "account_reset_password",
        ALL_200,
        method="post",
        data={"email": ""},
        public=True,
        label="no address",
    ),
    Row("account_reset_password_done", ALL_200, public=True),
    # A made-up link: everyone gets the "link can no longer be used" page.
    Row(
        "account_reset_password_from_key",
        ALL_200,
        kwargs={"uidb36": "zz", "key": "not-a-key"},
        public=True,
    ),
    Row("account_reset_password_from_key_done", ALL_200, public=True),
    Row("identity-locked", statuses(LOGIN, 403, 403, 403, 403, 403, 200, 403)),
    Row(
        "identity-locked",
        statuses(LOGIN, 403, 403, 403, 403, 403, 404, 403),
        method="post",
        data={"user": "0"},
        label="no such account",
    ),
]
