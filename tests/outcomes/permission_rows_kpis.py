"""Permission rows of the KPI drill-down page and the KPI API (the status endpoint's row is
in tests/comms/permission_rows.py: its path and name did not change)."""

from tests.support.permissions import API_SEES, LOGIN, SEES, Row, statuses

A = {"code": "HLX-101"}
# A period that cannot be reported on: whoever sees the program is told why.
BAD_PERIOD = statuses(LOGIN, 400, 400, 404, 400, 400, 400, 404)
API_BAD_PERIOD = statuses(401, 400, 400, 404, 400, 400, 400, 404)
UNKNOWN = statuses(LOGIN, 404, 404, 404, 404, 404, 404, 404)
API_UNKNOWN = statuses(401, 404, 404, 404, 404, 404, 404, 404)

ROWS = [
    *(
        Row("program-kpi-records", SEES, kwargs={**A, "kpi": kpi})
        for kpi in ("on_time_release", "actions_on_time", "escalations_in_window", "time_to_answer")
    ),
    Row(
        "program-kpi-records",
        SEES,
        kwargs={**A, "kpi": "minutes_on_time"},
        query="period=month&key=",
    ),
    Row(
        "program-kpi-records",
        BAD_PERIOD,
        kwargs={**A, "kpi": "otif"},
        query="period=month&key=2999-01",
        label="future period",
    ),
    Row("program-kpi-records", UNKNOWN, kwargs={**A, "kpi": "happiness"}, label="unknown KPI"),
    Row("api-program-kpis", API_SEES, kwargs=A),
    Row("api-program-kpis", API_SEES, kwargs=A, query="period=quarter"),
    Row(
        "api-program-kpis",
        API_BAD_PERIOD,
        kwargs=A,
        query="period=month&key=2026-13",
        label="malformed period",
    ),
    *(
        Row("api-program-kpi-records", API_SEES, kwargs={**A, "kpi": kpi})
        for kpi in ("actions_on_time", "escalations_in_window", "cadence_adherence")
    ),
    Row(
        "api-program-kpi-records",
        API_UNKNOWN,
        kwargs={**A, "kpi": "happiness"},
        label="unknown KPI",
    ),
]
