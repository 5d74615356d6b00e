"""Permission rows of the timeline (workstreams, milestones) and costs (budget, cost lines,
invoices, change orders), pages and API."""

from tests.support.permissions import (
    API_SEES,
    API_TEAM_CHANGES,
    API_TEAM_CREATES,
    LOGIN,
    SEES,
    TEAM_PAGE,
    TEAM_WRITE,
    Row,
    statuses,
)

A = {"code": "HLX-101"}
MS = {**A, "pk": "{ms}"}
WS = {**A, "pk": "{ws}"}
CO = {**A, "reference": "CO-001"}
# Only a lead of the program's own sponsor approves or rejects a change order.
LEAD_DECIDES = statuses(LOGIN, 302, 403, 404, 403, 403, 403, 404)
LEAD_DECIDES_API = statuses(401, 200, 403, 404, 403, 403, 403, 404)

PAGES = [
    Row("program-timeline", SEES, kwargs=A),
    Row("program-timeline", SEES, kwargs=A, query="fragment=chart", htmx=True),
    Row("program-timeline", SEES, kwargs=A, query="fragment=milestones", htmx=True),
    Row("program-timeline", SEES, kwargs=A, query="fragment=workstreams", htmx=True),
    Row("milestone-detail", SEES, kwargs=MS),
    Row("milestone-detail", SEES, kwargs=MS, query="fragment=editor", htmx=True),
    Row("workstream-edit", TEAM_PAGE, kwargs=WS),
    Row("workstream-edit", TEAM_PAGE, kwargs=WS, query="fragment=editor", htmx=True),
    Row("program-costs", SEES, kwargs=A),
    Row("program-costs", SEES, kwargs=A, query="fragment=summary", htmx=True),
    Row("program-costs", SEES, kwargs=A, query="fragment=change-orders", htmx=True),
    Row("program-costs", SEES, kwargs=A, query="fragment=ledger", htmx=True),
    Row("change-order-detail", SEES, kwargs=CO),
    Row("change-order-detail", SEES, kwargs=CO, query="fragment=decision", htmx=True),
    Row(
        "workstream-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"name": "Matrix", "kind": "other", "status": "not_started"},
    ),
    Row(
        "workstream-edit",
        TEAM_WRITE,
        kwargs=WS,
        method="post",
        data={"name": "Matrix", "kind": "other", "status": "in_progress"},
    ),
    Row(
        "milestone-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"name": "Matrix", "baseline_date": "{in_40_days}"},
    ),
    Row(
        "milestone-reschedule",
        TEAM_WRITE,
        kwargs=MS,
        method="post",
        data={"forecast_date": "{in_45_days}", "reason": "Matrix"},
    ),
    Row(
        "milestone-rebaseline",
        TEAM_WRITE,
        kwargs=MS,
        method="post",
        data={"baseline_date": "{in_40_days}", "reason": "Matrix"},
    ),
    Row(
        "milestone-complete",
        TEAM_WRITE,
        kwargs=MS,
        method="post",
        data={"actual_date": "{today}", "reason": "Matrix"},
    ),
    Row(
        "budget-set",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"contract_value": "1000", "notes": "", "reason": ""},
    ),
    Row(
        "cost-line-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"driver": "labour", "description": "Matrix", "amount": "10"},
    ),
    Row(
        "invoice-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"number": "NB-MATRIX", "driver": "labour", "amount": "10", "issued_on": "{today}"},
    ),
    Row(
        "change-order-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"title": "Matrix", "rationale": "Row", "amount": "10"},
    ),
    # An internal cost line is shared with the sponsor by the program team; until then the
    # sponsor cannot find it.
    Row(
        "cost-line-share",
        statuses(LOGIN, 404, 404, 404, 403, 302, 302, 404),
        kwargs={**A, "pk": "{internal_cost_line}"},
        method="post",
        data={},
    ),
    Row(
        "change-order-decide",
        LEAD_DECIDES,
        kwargs=CO,
        method="post",
        data={"decision": "approved", "comment": "Row"},
    ),
]

API = [
    Row("api-program-workstreams", API_SEES, kwargs=A),
    Row(
        "api-program-workstreams",
        API_TEAM_CREATES,
        kwargs=A,
        method="post",
        data={"name": "Matrix"},
    ),
    Row("api-program-milestones", API_SEES, kwargs=A),
    Row(
        "api-program-milestones",
        API_TEAM_CREATES,
        kwargs=A,
        method="post",
        data={"name": "Matrix", "baseline_date": "{in_40_days}"},
    ),
    Row(
        "api-milestone-reschedule",
        API_TEAM_CHANGES,
        kwargs=MS,
        method="post",
        data={"forecast_date": "{in_45_days}", "reason": "Matrix"},
    ),
    Row("api-program-change-orders", API_SEES, kwargs=A),
    Row(
        "api-program-change-orders",
        API_TEAM_CREATES,
        kwargs=A,
        method="post",
        data={"title": "Matrix", "rationale": "Row", "amount": "10.00"},
    ),
    Row(
        "api-change-order-decision",
        LEAD_DECIDES_API,
        kwargs=CO,
        method="post",
        data={"decision": "approved", "comment": "Row"},
    ),
    Row("api-program-costs", API_SEES, kwargs=A),
]

ROWS = PAGES + API
