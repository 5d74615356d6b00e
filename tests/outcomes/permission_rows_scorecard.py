"""Permission rows of the KPI page, the targets form and the scorecards (pages and API)."""

from tests.support.permissions import LOGIN, SEES, TEAM_WRITE, Row, statuses

A = {"code": "HLX-101"}
# A sponsor's user is sent on to their own sponsor's scorecard.
SCORECARD = statuses(LOGIN, 302, 302, 302, 200, 200, 200, 200)
SPONSOR_A_SCORECARD = statuses(LOGIN, 200, 200, 404, 200, 200, 200, 404)
BAD_PERIOD = statuses(LOGIN, 400, 400, 404, 400, 400, 400, 404)
# Invalid targets: the PM and leadership are told why (422), nothing changes.
TARGETS_REFUSED = statuses(LOGIN, 403, 403, 404, 403, 422, 422, 404)
API_SCORECARD = statuses(401, 200, 200, 200, 200, 200, 200, 200)
API_BAD_PERIOD = statuses(401, 400, 400, 400, 400, 400, 400, 400)

ROWS = [
    Row("program-kpis", SEES, kwargs=A),
    Row("program-kpis", SEES, kwargs=A, query="period=quarter&key=2026-Q3"),
    Row(
        "program-kpis",
        BAD_PERIOD,
        kwargs=A,
        query="period=month&key=2999-01",
        label="future period",
    ),
    Row(
        "program-kpi-targets",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"on_time_release": "97.5", "otif": "", "reason": "Matrix"},
    ),
    Row(
        "program-kpi-targets",
        TARGETS_REFUSED,
        kwargs=A,
        method="post",
        data={"on_time_release": "101"},
        label="target above 100 %",
    ),
    Row("scorecard", SCORECARD),
    Row("scorecard-sponsor", SPONSOR_A_SCORECARD, kwargs={"slug": "helix"}),
    Row(
        "scorecard-sponsor",
        BAD_PERIOD,
        kwargs={"slug": "helix"},
        query="period=quarter&key=2026-Q9",
        label="malformed period",
    ),
    Row("api-scorecard", API_SCORECARD),
    Row("api-scorecard", API_SCORECARD, query="period=month&key=2026-11"),
    Row("api-scorecard", API_BAD_PERIOD, query="period=month&key=1999-01", label="old period"),
]
