"""Permission rows of the people pages: an organisation's people and invitations (its sponsor
lead, or a CDMO administrator), the quarterly access review, the CDMO's review dashboard, and
accepting an invitation (open to whoever holds the link)."""

from tests.support.permissions import LOGIN, Row, statuses

# The API: the caller's own organisation, for whoever manages its people (a sponsor lead; a
# CDMO administrator for the CDMO). Anyone else signed in is refused.
API_MANAGES = statuses(401, 200, 403, 200, 403, 403, 200, 403)

# Sponsor A's people pages: its lead and CDMO leadership (the CDMO administrators) manage
# them; its viewer and the CDMO's other people find the page but may not use it; sponsor B
# and the superuser without membership cannot find it.
MANAGES = statuses(LOGIN, 200, 403, 404, 403, 403, 200, 404)
MANAGES_INVALID = statuses(LOGIN, 422, 403, 404, 403, 403, 422, 404)
MANAGES_WRITE = statuses(LOGIN, 302, 403, 404, 403, 403, 302, 404)
HELIX = {"slug": "helix"}
VIEWER = {"slug": "helix", "pk": "{viewer_a_membership}"}
INVITATION = {"slug": "helix", "pk": "{invitation}"}

ROWS = [
    Row("api-people", API_MANAGES),
    Row("api-invitations", API_MANAGES),
    Row(
        "api-invitations",
        statuses(401, 400, 403, 400, 403, 403, 400, 403),
        method="post",
        data={"email": "not an address", "role": "viewer"},
        label="malformed email",
    ),
    # Sponsor A's invitation: another organisation's lead (or the CDMO's administrator, whose
    # API organisation is the CDMO) does not find it.
    Row(
        "api-invitation-revoke",
        statuses(401, 200, 403, 404, 403, 403, 404, 403),
        kwargs={"id": "{invitation}"},
        method="post",
        data={},
    ),
    Row("people:home", statuses(LOGIN, 302, 302, 302, 302, 302, 302, 404)),
    Row("people:review", statuses(LOGIN, 302, 302, 302, 302, 302, 302, 404)),
    Row("people:organisation", MANAGES, kwargs=HELIX),
    Row(
        "people:organisation",
        MANAGES_INVALID,
        kwargs=HELIX,
        method="post",
        data={"email": "not an address", "role": "viewer"},
        label="malformed email",
    ),
    Row("people:person", MANAGES, kwargs=VIEWER),
    Row(
        "people:person",
        MANAGES_INVALID,
        kwargs=VIEWER,
        method="post",
        data={"role": ""},
        label="no role",
    ),
    Row(
        "people:person-deactivate",
        MANAGES_WRITE,
        kwargs=VIEWER,
        method="post",
        data={"reason": "Left"},
    ),
    Row("people:person-reactivate", MANAGES_WRITE, kwargs=VIEWER, method="post", data={}),
    Row("people:invitation-revoke", MANAGES_WRITE, kwargs=INVITATION, method="post", data={}),
    Row("people:invitation-resend", MANAGES_WRITE, kwargs=INVITATION, method="post", data={}),
    Row("people:organisation-review", MANAGES, kwargs=HELIX),
    Row(
        "people:organisation-review",
        MANAGES_WRITE,
        kwargs=HELIX,
        method="post",
        data={"user": "{lead_a_id}", "decision": "confirmed"},
    ),
    Row("people:review-sign-off", MANAGES_WRITE, kwargs=HELIX, method="post", data={}),
    # CDMO administrators only; sponsors do not find it.
    Row("people:review-dashboard", statuses(LOGIN, 404, 404, 404, 403, 403, 200, 404)),
    # The link is the credential: whoever holds it sees the form, signed in or not.
    Row(
        "people:invitation-accept",
        statuses(200, 200, 200, 200, 200, 200, 200, 200),
        kwargs={"token": "{invitation_token}"},
        public=True,
    ),
    Row(
        "people:invitation-accept",
        statuses(422, 422, 422, 422, 422, 422, 422, 422),
        kwargs={"token": "{invitation_token}"},
        method="post",
        data={"display_name": "", "password": "", "password_again": ""},
        public=True,
        label="empty form",
    ),
    Row(
        "people:invitation-accept",
        statuses(410, 410, 410, 410, 410, 410, 410, 410),
        kwargs={"token": "not-a-token"},
        public=True,
        label="unknown token",
    ),
]
