"""Permission rows of escalations: leadership's room, a program's escalations page, the API."""

from tests.support.permissions import LOGIN, SEES, Row, statuses

A = {"code": "HLX-101"}
LEADERSHIP_PAGE = statuses(LOGIN, 403, 403, 403, 403, 403, 200, 403)
LEADERSHIP_WRITE = statuses(LOGIN, 403, 403, 403, 403, 403, 302, 403)
CONCERN = {"pk": "{concern}"}
API_CONCERN = {"reference": "{concern_ref}"}
API_LEADERSHIP = statuses(401, 403, 403, 404, 403, 403, 200, 404)
API_CDMO_SEES = statuses(401, 403, 403, 404, 200, 200, 200, 404)
LEVELS = {"levels": [{"role": "pm", "window": 4, "window_unit": "hours"}]}


def _levels(scene):
    """A path body (a list inside: not a template the bounded-input sweep reads)."""
    return LEVELS


PAGES = [
    Row("leadership-escalations", LEADERSHIP_PAGE),
    Row("leadership-escalations", LEADERSHIP_PAGE, query="status=all&due=24h", label="filters"),
    Row("leadership-escalations", LEADERSHIP_PAGE, query="fragment=queue", htmx=True),
    Row("leadership-portfolio", LEADERSHIP_PAGE),
    Row("leadership-portfolio", LEADERSHIP_PAGE, query="fragment=portfolio", htmx=True),
    Row("escalation-acknowledge", LEADERSHIP_WRITE, kwargs=CONCERN, method="post", data={}),
    Row(
        "escalation-assign",
        LEADERSHIP_WRITE,
        kwargs=CONCERN,
        method="post",
        data={"assignee": "{pm_id}"},
    ),
    Row(
        "escalation-resolve",
        LEADERSHIP_WRITE,
        kwargs=CONCERN,
        method="post",
        data={"resolution": "Slot confirmed in writing."},
    ),
    Row("program-escalations", SEES, kwargs=A),
    Row("program-escalations", SEES, kwargs=A, query="fragment=escalations", htmx=True),
    Row(
        "program-escalation-raise",
        statuses(LOGIN, 302, 302, 404, 403, 302, 302, 404),
        kwargs=A,
        method="post",
        data={"title": "Matrix concern", "detail": ""},
    ),
]

API = [
    Row("api-escalation-list", statuses(401, *[200] * 7)),
    Row("api-escalation-list", statuses(401, *[200] * 7), query="program=HLX-101&status=open"),
    Row(
        "api-escalation-detail",
        statuses(401, 200, 200, 404, 200, 200, 200, 404),
        kwargs=API_CONCERN,
    ),
    Row(
        "api-escalation-detail",
        statuses(401, 404, 404, 404, 200, 200, 200, 404),
        kwargs={"reference": "{issue_ref}"},
        label="internal",
    ),
    Row(
        "api-escalation-acknowledge",
        API_LEADERSHIP,
        kwargs=API_CONCERN,
        method="post",
        data={},
    ),
    Row(
        "api-escalation-assign",
        API_LEADERSHIP,
        kwargs=API_CONCERN,
        method="post",
        data={"assignee": "pm@nb.example"},
    ),
    Row(
        "api-escalation-resolve",
        API_LEADERSHIP,
        kwargs=API_CONCERN,
        method="post",
        data={"resolution": "Slot confirmed in writing."},
    ),
    Row(
        "api-program-escalation-raise",
        statuses(401, 201, 201, 404, 403, 201, 201, 404),
        kwargs=A,
        method="post",
        data={"title": "Matrix concern"},
    ),
    Row("api-escalation-path", API_CDMO_SEES, kwargs=A),
    Row(
        "api-escalation-path",
        statuses(401, 404, 404, 404, 200, 200, 200, 404),
        kwargs={"code": "default"},
        label="default",
    ),
    Row(
        "api-escalation-path",
        statuses(401, 403, 403, 404, 403, 200, 200, 404),
        kwargs=A,
        method="post",
        data=_levels,
    ),
    Row(
        "api-escalation-path",
        statuses(401, 404, 404, 404, 403, 403, 200, 404),
        kwargs={"code": "default"},
        method="post",
        data=_levels,
        label="default",
    ),
]

ROWS = PAGES + API
