"""Permission rows of the background jobs' pages and API: a job is read and downloaded by
the person who asked for it (here sponsor A's lead) and nobody else, not even a colleague or
the CDMO (a 404, no existence leak)."""

from outcomes.exports import LISTS
from tests.support.permissions import API_SEES, LOGIN, SEES, Row, statuses

JOB = {"pk": "{job}"}
API_JOB = {"id": "{job}"}
WAITING = {"pk": "{waiting_job}"}
API_WAITING = {"id": "{waiting_job}"}
# Every signed-in persona has a list of their own files.
OWN_LIST = statuses(LOGIN, 200, 200, 200, 200, 200, 200, 200)
OWNER_ONLY = statuses(LOGIN, 200, 404, 404, 404, 404, 404, 404)
OWNER_ONLY_API = statuses(401, 200, 404, 404, 404, 404, 404, 404)
NOT_READY = statuses(LOGIN, 409, 404, 404, 404, 404, 404, 404)
NOT_READY_API = statuses(401, 409, 404, 404, 404, 404, 404, 404)

A = {"code": "HLX-101"}
MONTH = {**A, "month": "{month}"}
FUTURE = {**A, "month": "2999-01"}
# Whoever sees the program reads its report and asks for its PDF (built with what they see).
SEES_REDIRECTED = statuses(LOGIN, 302, 302, 404, 302, 302, 302, 404)
REFUSED_MONTH = statuses(LOGIN, 400, 400, 404, 400, 400, 400, 404)
API_STARTS = statuses(401, 202, 202, 404, 202, 202, 202, 404)
API_REFUSED_MONTH = statuses(401, 400, 400, 404, 400, 400, 400, 404)

ROWS = [
    Row("outcomes:job-list", OWN_LIST),
    Row("outcomes:job-detail", OWNER_ONLY, kwargs=JOB),
    Row("outcomes:job-detail", OWNER_ONLY, kwargs=WAITING, query="fragment=status", htmx=True),
    Row("outcomes:job-download", OWNER_ONLY, kwargs=JOB),
    Row("outcomes:job-download", NOT_READY, kwargs=WAITING),
    Row("api-job-detail", OWNER_ONLY_API, kwargs=API_JOB),
    Row("api-job-download", OWNER_ONLY_API, kwargs=API_JOB),
    Row("api-job-download", NOT_READY_API, kwargs=API_WAITING),
    Row("outcomes:program-report-latest", SEES_REDIRECTED, kwargs=A),
    Row("outcomes:program-report", SEES, kwargs=MONTH),
    Row("outcomes:program-report", REFUSED_MONTH, kwargs=FUTURE, label="future month"),
    Row("outcomes:program-report-pdf", SEES_REDIRECTED, kwargs=MONTH, method="post", data={}),
    Row(
        "outcomes:program-report-pdf",
        REFUSED_MONTH,
        kwargs=FUTURE,
        method="post",
        data={},
        label="future month",
    ),
    Row("api-program-reports", API_STARTS, kwargs=A, method="post", data={"month": "{month}"}),
    Row(
        "api-program-reports",
        API_REFUSED_MONTH,
        kwargs=A,
        method="post",
        data={"month": "2999-01"},
        label="future month",
    ),
    Row("outcomes:program-exports", SEES, kwargs=A),
    # Every list as CSV (the harness reads it: no sponsor finds an internal item or another
    # sponsor's row in it), one as Excel.
    *[
        Row("outcomes:program-export", SEES, kwargs={**A, "name": name}, query="format=csv")
        for name in LISTS
    ],
    Row("outcomes:program-export", SEES, kwargs={**A, "name": "risks"}, query="format=xlsx"),
    *[
        Row("api-program-export", API_SEES, kwargs={**A, "name": name}, query="format=csv")
        for name in LISTS
    ],
    Row("api-program-export", API_SEES, kwargs={**A, "name": "risks"}, query="format=xlsx"),
]

# The inspection bundle: the sponsor's lead, the program's QA, its dedicated PM and leadership
# (docs/inspection-bundle.md); a viewer and operations staff see the program but may not (403);
# another sponsor's program is a 404.
PROGRAM_A = {"code": "HLX-101"}
BUNDLE_PAGE = statuses(LOGIN, 200, 403, 404, 403, 200, 200, 404, qa=200)
BUNDLE_START = statuses(LOGIN, 302, 403, 404, 403, 302, 302, 404, qa=302)
BUNDLE_API = statuses(401, 202, 403, 404, 403, 202, 202, 404, qa=202)
BUNDLE_FORM = {"period": "month", "key": ""}

ROWS += [
    Row("outcomes:program-bundle", BUNDLE_PAGE, kwargs=PROGRAM_A),
    Row(
        "outcomes:program-bundle",
        BUNDLE_START,
        kwargs=PROGRAM_A,
        method="post",
        data=BUNDLE_FORM,
    ),
    Row(
        "api-program-bundles",
        BUNDLE_API,
        kwargs=PROGRAM_A,
        method="post",
        data={"period": "month", "key": ""},
    ),
]
