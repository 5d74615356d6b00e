"""Permission rows of the deviation pages (list, triage queue, detail, audit trail, logging,
acknowledgement, investigation steps, transitions) and of the deviations API."""

from tests.support.permissions import (
    API_SEES,
    API_TEAM_CHANGES,
    API_TEAM_CREATES,
    LOGIN,
    SEES,
    SIGNED_IN,
    TEAM_PAGE,
    TEAM_WRITE,
    Row,
    statuses,
)

A = {"code": "HLX-101"}
REF = {"reference": "{ref}"}
OK, INVALID = 200, 422
# CDMO operations staff and QA triage and investigate every program's deviations.
QA_PAGE = TEAM_PAGE | {"staff": OK, "qa": OK}
QA_WRITE = TEAM_WRITE | {"staff": 302, "qa": 302}
# Only QA of the program signs its QA steps (issue 9): everyone else is refused before the
# form is read; QA hears what the form lacks.
QA_SIGNS = statuses(LOGIN, 403, 403, 404, 403, 403, 403, 404, qa=INVALID)
# Only the program's own sponsor confirms it was told.
SPONSOR_ACKNOWLEDGES = statuses(LOGIN, 302, 302, 404, 403, 403, 403, 404)

PAGES = [
    Row("deviation-list", SIGNED_IN),
    # The filter bar echoes the program code typed in: not a leak, so no leak check here (the
    # unfiltered list above has it).
    Row(
        "deviation-list",
        SIGNED_IN,
        query="status=open&classification=major&overdue=1&program=HLX-101",
        public=True,
    ),
    Row("deviation-queue", statuses(LOGIN, 403, 403, 403, OK, OK, OK, 403)),
    Row("deviation-detail", SEES, kwargs=REF),
    Row("deviation-audit", SEES, kwargs=REF),
    Row("deviation-audit", SEES, kwargs=REF, query="export=csv"),
    Row("deviation-new", QA_PAGE, kwargs=A),
    Row(
        "deviation-new",
        QA_WRITE,
        kwargs=A,
        method="post",
        data={
            "title": "Matrix",
            "classification": "major",
            "description": "Something happened",
            "occurred_at": "{two_hours_ago}",
            "aware_at": "{an_hour_ago}",
        },
    ),
    Row("deviation-acknowledge", SPONSOR_ACKNOWLEDGES, kwargs=REF, method="post", data={}),
    Row(
        "deviation-work",
        QA_WRITE,
        kwargs={**REF, "step": "root-cause"},
        method="post",
        data={"category": "method", "description": "SOP unclear"},
        label="root-cause",
    ),
    Row(
        "deviation-work",
        QA_WRITE,
        kwargs={**REF, "step": "impact"},
        method="post",
        data={"expected_version": "1", "classification": "major", "reason": "Assessed"},
        label="impact",
    ),
    Row(
        "deviation-transition",
        QA_WRITE,
        kwargs=REF,
        method="post",
        data={"to": "investigating", "expected_version": "1"},
    ),
    Row(
        "deviation-transition",
        QA_SIGNS,
        kwargs=REF,
        method="post",
        data={"to": "cancelled", "expected_version": "1", "reason": "Logged twice"},
        label="cancel, no signature",
    ),
]
# The other investigation steps with an empty form: the team hears what is missing, everyone
# else is refused before the form is read.
for step in ("capa", "capa-complete", "extension"):
    PAGES.append(
        Row(
            "deviation-work",
            statuses(LOGIN, 403, 403, 404, INVALID, INVALID, INVALID, 404),
            kwargs={**REF, "step": step},
            method="post",
            data={},
            label=f"{step}, empty form",
        )
    )
PAGES.append(
    Row(
        "deviation-work",
        QA_SIGNS,
        kwargs={**REF, "step": "extension-approve"},
        method="post",
        data={},
        label="extension-approve, empty form",
    )
)

API = [
    Row("api-deviation-list", statuses(401, OK, OK, OK, OK, OK, OK, OK)),
    Row(
        "api-deviation-list",
        statuses(401, OK, OK, OK, OK, OK, OK, OK),
        query="program=HLX-101&status=open&classification=major",
    ),
    Row("api-deviation-detail", API_SEES, kwargs=REF),
    Row("api-deviation-audit", API_SEES, kwargs=REF),
    Row(
        "api-deviation-list",
        API_TEAM_CREATES | {"staff": 201, "qa": 201},
        method="post",
        data={
            "program": "HLX-101",
            "title": "Matrix",
            "description": "Row",
            "classification": "minor",
            "occurred_at": "{two_hours_ago_iso}",
            "aware_at": "{an_hour_ago_iso}",
        },
    ),
    Row(
        "api-deviation-acknowledge",
        statuses(401, OK, OK, 404, 403, 403, 403, 404),
        kwargs=REF,
        method="post",
        data={},
    ),
    Row("api-deviation-capas", API_SEES, kwargs=REF),
    Row(
        "api-deviation-capas",
        API_TEAM_CREATES | {"staff": 201, "qa": 201},
        kwargs=REF,
        method="post",
        data={
            "kind": "corrective",
            "description": "Matrix",
            "owner": "pm@nb.example",
            "due_date": "{in_a_week}",
        },
    ),
    Row(
        "api-deviation-capa-complete",
        API_TEAM_CHANGES | {"staff": OK, "qa": OK},
        kwargs={**REF, "number": 1},
        method="post",
        data={"effectiveness_check": "Matrix"},
    ),
    Row(
        "api-deviation-root-causes",
        API_TEAM_CREATES | {"staff": 201, "qa": 201},
        kwargs=REF,
        method="post",
        data={"category": "method", "description": "Matrix"},
    ),
    Row(
        "api-deviation-transition",
        API_TEAM_CHANGES | {"staff": OK, "qa": OK},
        kwargs=REF,
        method="post",
        data={"to": "investigating", "expected_version": 1},
    ),
]

ROWS = PAGES + API
