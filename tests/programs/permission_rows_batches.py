"""Permission rows of the batch pages and the batch API (sponsor A's lots SCN-1, started, and
SCN-2, released by QA)."""

from tests.support.permissions import (
    API_SEES,
    API_TEAM_CHANGES,
    API_TEAM_CREATES,
    LOGIN,
    SEES,
    TEAM_WRITE,
    Row,
    statuses,
)

A = {"code": "HLX-101"}
LOT = {**A, "lot": "{lot}"}
RELEASED = {**A, "lot": "{released_lot}"}
# The program's CDMO team, operations staff and QA record a batch's life.
RECORDS = TEAM_WRITE | {"staff": 302, "qa": 302}
API_RECORDS_CREATE = API_TEAM_CREATES | {"staff": 201, "qa": 201}
API_RECORDS = API_TEAM_CHANGES | {"staff": 200, "qa": 200}
# Only QA of the program decides, refused before the form is read; QA hears what the form
# lacks (no signature). The API's decision is refused to a token (it cannot sign).
QA_DECIDES = statuses(LOGIN, 403, 403, 404, 403, 403, 403, 404, qa=422)
API_QA_DECIDES = statuses(401, 403, 403, 404, 403, 403, 403, 404, qa=400)
PLAN = {
    "product": "Helix mAb",
    "planned_start": "{today}",
    "planned_release": "{in_a_week}",
    "quantity_committed": "120.00",
    "quantity_unit": "kg",
}

ROWS = [
    Row("batch-list", SEES, kwargs=A),
    Row("batch-list", SEES, kwargs=A, query="disposition=released"),
    Row("batch-list", RECORDS, kwargs=A, method="post", data={**PLAN, "lot_number": "MX-1"}),
    Row("batch-detail", SEES, kwargs=LOT),
    Row("batch-detail", SEES, kwargs=RELEASED),
    Row("batch-plan", RECORDS, kwargs=LOT, method="post", data={**PLAN, "reason": "Matrix"}),
    Row("batch-rework", RECORDS, kwargs=LOT, method="post", data={"reason": "Refiltered"}),
    Row(
        "batch-decide",
        QA_DECIDES,
        kwargs=LOT,
        method="post",
        data={"decision": "released", "decided_on": "{today}"},
        label="no signature",
    ),
    Row(
        "batch-deliver",
        RECORDS,
        kwargs=RELEASED,
        method="post",
        data={"quantity_delivered": "100.00"},
    ),
    Row("api-program-batches", API_SEES, kwargs=A),
    Row(
        "api-program-batches",
        API_RECORDS_CREATE,
        kwargs=A,
        method="post",
        data={**PLAN, "lot_number": "MX-2"},
    ),
    Row("api-batch-detail", API_SEES, kwargs=LOT),
    Row(
        "api-batch-plan",
        API_RECORDS,
        kwargs=LOT,
        method="post",
        data={"planned_release": "{in_a_week}"},
    ),
    Row("api-batch-rework", API_RECORDS, kwargs=LOT, method="post", data={"reason": "Again"}),
    Row(
        "api-batch-disposition",
        API_QA_DECIDES,
        kwargs=LOT,
        method="post",
        data={"decision": "released", "decided_on": "{today}"},
        label="no signature",
    ),
    Row(
        "api-batch-delivery",
        API_RECORDS,
        kwargs=RELEASED,
        method="post",
        data={"quantity_delivered": "100.00"},
    ),
]
