"""Permission rows of the background jobs' pages and API: a job is read and downloaded by
the person who asked for it (here sponsor A's lead) and nobody else, not even a colleague or
the CDMO (a 404, no existence leak)."""

from tests.support.permissions import LOGIN, Row, statuses

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

ROWS = [
    Row("outcomes:job-list", OWN_LIST),
    Row("outcomes:job-detail", OWNER_ONLY, kwargs=JOB),
    Row("outcomes:job-detail", OWNER_ONLY, kwargs=WAITING, query="fragment=status", htmx=True),
    Row("outcomes:job-download", OWNER_ONLY, kwargs=JOB),
    Row("outcomes:job-download", NOT_READY, kwargs=WAITING),
    Row("api-job-detail", OWNER_ONLY_API, kwargs=API_JOB),
    Row("api-job-download", OWNER_ONLY_API, kwargs=API_JOB),
    Row("api-job-download", NOT_READY_API, kwargs=API_WAITING),
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
