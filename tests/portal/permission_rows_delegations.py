"""Permission rows of the delegation pages: a sponsor lead's, for their own organisation."""

from tests.support.permissions import LOGIN, Row, statuses

ROWS = [
    Row("delegation-list", statuses(LOGIN, 200, 403, 200, 403, 403, 403, 403)),
    Row(
        "delegation-list",
        statuses(LOGIN, 422, 403, 422, 403, 403, 403, 403),
        method="post",
        data={"delegate": "", "starts_on": "", "ends_on": ""},
        label="empty form",
    ),
    Row(
        "delegation-end",
        statuses(LOGIN, 302, 404, 404, 404, 404, 404, 404),
        kwargs={"pk": "{delegation}"},
        method="post",
        data={},
    ),
]
