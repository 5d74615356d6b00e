"""Permission rows of the kick-off, cadence, meetings, action items, risks and calendars,
pages and API."""

from tests.governance.escalations.permission_rows import ROWS as ESCALATIONS
from tests.support.permissions import (
    API_SEES,
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
OK, REDIRECT = 200, 302
INTERNAL_SHARE = statuses(LOGIN, 404, 404, 404, 403, REDIRECT, REDIRECT, 404)
RISK = {
    "title": "Matrix risk",
    "likelihood": "2",
    "impact": "2",
    "owner": "{pm_id}",
    "status": "open",
    "review_date": "{in_a_week}",
}

PAGES = [
    Row("kickoff", SEES, kwargs=A),
    Row("kickoff", SEES, kwargs=A, query="fragment=progress"),
    Row("meeting-list", SEES, kwargs=A),
    Row("meeting-detail", SEES, kwargs={**A, "pk": "{meeting}"}),
    Row("meeting-detail", SEES, kwargs={**A, "pk": "{held}"}, query="fragment=record"),
    Row("meeting-invite", SEES, kwargs={**A, "pk": "{meeting}"}),
    Row("action-list", SEES, kwargs=A, query="state=overdue"),
    Row("risk-list", SEES, kwargs=A),
    Row("risk-edit", TEAM_PAGE, kwargs={**A, "pk": "{risk}"}),
    Row("calendar-settings", SIGNED_IN),
    # The secret is the feed's only credential (calendar clients send no cookie).
    Row("calendar-feed", statuses(*[OK] * 8), kwargs={"secret": "{feed}"}, public=True),
    Row(
        "calendar-feed",
        statuses(*[404] * 8),
        kwargs={"secret": "wrong-secret-0123456789abcdef"},
        label="wrong secret",
    ),
    Row(
        "kickoff-record",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"held_on": "", "agenda": "x"},
    ),
    Row(
        "kickoff-confirm",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={"item": "baseline", "agreed": "1"},
    ),
    Row("kickoff-complete", TEAM_WRITE, kwargs=A, method="post", data={}),
    Row(
        "cadence-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={
            "title": "Monthly steering",
            "frequency": "biweekly",
            "weekday": "3",
            "local_time": "16:00",
            "time_zone": "America/New_York",
            "duration_minutes": "45",
            "starts_on": "{today}",
        },
    ),
    Row("cadence-end", TEAM_WRITE, kwargs={**A, "pk": "{cadence}"}, method="post", data={}),
    Row(
        "meeting-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={
            "title": "Deep dive",
            "starts_at": "{later}",
            "time_zone": "UTC",
            "duration_minutes": "30",
        },
    ),
    Row(
        "meeting-write-up",
        TEAM_WRITE,
        kwargs={**A, "pk": "{held}"},
        method="post",
        data={
            "present": "{pm_id}",
            "minutes": "Matrix minutes",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-0-title": "",
        },
    ),
    Row(
        "meeting-reschedule",
        TEAM_WRITE,
        kwargs={**A, "pk": "{meeting}"},
        method="post",
        data={"starts_at": "{later}", "duration_minutes": "60"},
    ),
    Row("meeting-cancel", TEAM_WRITE, kwargs={**A, "pk": "{meeting}"}, method="post", data={}),
    Row(
        "action-create",
        TEAM_WRITE,
        kwargs=A,
        method="post",
        data={
            "title": "Matrix action",
            "owner": "{lead_a_id}",
            "due_date": "{in_a_week}",
            "audience": "sponsor",
        },
    ),
    # The owner (sponsor A's viewer here) or the program's CDMO team closes an action item.
    Row(
        "action-done",
        statuses(LOGIN, 403, REDIRECT, 404, 403, REDIRECT, REDIRECT, 404),
        kwargs={**A, "pk": "{action}"},
        method="post",
        data={},
    ),
    Row("risk-create", TEAM_WRITE, kwargs=A, method="post", data=RISK),
    Row("risk-edit", TEAM_WRITE, kwargs={**A, "pk": "{risk}"}, method="post", data=RISK),
    # Sharing an internal item with the sponsor is the program team's audited step; the sponsor
    # cannot find the item before it is shared.
    Row(
        "action-share",
        INTERNAL_SHARE,
        kwargs={**A, "pk": "{internal_action}"},
        method="post",
        data={},
    ),
    Row(
        "risk-share", INTERNAL_SHARE, kwargs={**A, "pk": "{internal_risk}"}, method="post", data={}
    ),
    # A meeting is the sponsor's too; its minutes and decisions are shared section by section.
    Row(
        "meeting-share",
        TEAM_WRITE,
        kwargs={**A, "pk": "{held}"},
        method="post",
        data={"section": "minutes"},
    ),
    Row(
        "calendar-settings",
        # The superuser has no membership: the page says so and issues no feed.
        statuses(LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
        method="post",
        data={},
    ),
]

API = [
    Row("api-meeting-list", statuses(401, OK, OK, OK, OK, OK, OK, OK)),
    Row("api-meeting-detail", API_SEES, kwargs={"uid": "{uid}"}),
    Row("api-action-item-list", statuses(401, OK, OK, OK, OK, OK, OK, OK)),
    Row(
        "api-action-item-list",
        API_TEAM_CREATES,
        method="post",
        data={
            "program": "HLX-101",
            "title": "Matrix action",
            "owner": "lead@helix.example",
            "due_date": "{in_a_week}",
            "audience": "sponsor",
        },
    ),
    Row(
        "api-action-item-complete",
        statuses(401, 403, OK, 404, 403, OK, OK, 404),
        kwargs={"pk": "{action}"},
        method="post",
        data={},
    ),
    Row("api-program-risks", API_SEES, kwargs=A),
    Row(
        "api-program-risks",
        API_TEAM_CREATES,
        kwargs=A,
        method="post",
        data={"title": "Matrix risk", "likelihood": 2, "impact": 3, "review_date": "{in_a_week}"},
    ),
    Row("api-program-kickoff", API_SEES, kwargs=A),
]

ROWS = PAGES + API + ESCALATIONS
