"""Permission rows of the change feed: everyone with a membership reads their own
organisation's events (the scene's sponsor B sees none of sponsor A's); the superuser without
membership reads an empty feed."""

from tests.support.permissions import Row, statuses

OK, BAD = 200, 400
FEED = statuses(401, OK, OK, OK, OK, OK, OK, OK)

ROWS = [
    Row("api-change-feed", FEED),
    Row("api-change-feed", FEED, query="after=now", label="from now"),
    Row("api-change-feed", FEED, query="limit=2", label="a short page"),
    Row("api-change-feed", statuses(401, *[BAD] * 7), query="after=xyz", label="bad cursor"),
]
