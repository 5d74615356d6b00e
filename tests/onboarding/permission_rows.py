"""Permission rows of the onboarding pages: only the CDMO's administrators (leadership) find
them; everyone else gets a 404, and the superuser without membership too."""

from tests.support.permissions import LOGIN, Row, statuses

ADMIN_PAGE = statuses(LOGIN, 404, 404, 404, 404, 404, 200, 404)
ADMIN_WRITE = statuses(LOGIN, 404, 404, 404, 404, 404, 302, 404)
ADMIN_INVALID = statuses(LOGIN, 404, 404, 404, 404, 404, 422, 404)
HELIX = {"slug": "helix"}
A = {"code": "HLX-101"}
SPONSOR = {"name": "Matrix Bio", "slug": "matrix-bio", "email_domains": "matrix.example"}

ROWS = [
    Row("onboarding-sponsors", ADMIN_PAGE),
    Row("onboarding-sponsor-new", ADMIN_PAGE),
    Row("onboarding-sponsor-new", ADMIN_WRITE, method="post", data=SPONSOR),
    Row(
        "onboarding-sponsor-new",
        ADMIN_INVALID,
        method="post",
        data={**SPONSOR, "email_domains": "not a domain!"},
        label="malformed domain",
    ),
    Row("onboarding-sponsor-edit", ADMIN_PAGE, kwargs=HELIX),
    Row(
        "onboarding-sponsor-edit",
        ADMIN_WRITE,
        kwargs=HELIX,
        method="post",
        data={"name": "Helix", "slug": "helix", "mfa_required": "on", "reason": "Matrix"},
    ),
    Row(
        "onboarding-sponsor-edit",
        ADMIN_INVALID,
        kwargs=HELIX,
        method="post",
        data={"name": "Borealis", "slug": "helix"},
        label="name taken",
    ),
    Row("onboarding-program-new", ADMIN_PAGE, kwargs=HELIX),
    Row(
        "onboarding-program-new",
        ADMIN_WRITE,
        kwargs=HELIX,
        method="post",
        data={"code": "HLX-909", "name": "Matrix program", "phase": "phase_1"},
    ),
    Row("onboarding-team", ADMIN_PAGE, kwargs=A),
    Row(
        "onboarding-team",
        ADMIN_WRITE,
        kwargs=A,
        method="post",
        data={"user": "{lead_a_id}", "role": "sponsor_contact", "rank": "", "reason": ""},
    ),
    Row(
        "onboarding-team",
        ADMIN_INVALID,
        kwargs=A,
        method="post",
        data={"user": "{lead_a_id}", "role": "dedicated_pm"},
        label="sponsor user as PM",
    ),
    Row(
        "onboarding-tenure-end",
        ADMIN_WRITE,
        kwargs={**A, "user_id": "{pm_id}", "role": "dedicated_pm"},
        method="post",
        data={"reason": "Matrix"},
    ),
]

# The quality agreement: the CDMO and the sponsor's own people read it; CDMO administrators and
# QA record a version (a valid one redirects, an invalid one is 422); another sponsor: 404.
AGREEMENT = {
    "effective_from": "{later}",
    "critical_notify": "24",
    "critical_notify_unit": "hours",
    "major_notify": "48",
    "major_notify_unit": "hours",
    "minor_notify": "7",
    "minor_notify_unit": "days",
    "investigation": "30",
    "investigation_unit": "days",
    "capa": "90",
    "capa_unit": "days",
    "reason": "Matrix amendment",
}
ROWS += [
    # The API's list: everyone signed in gets 200, scoped (a sponsor sees its own only; the
    # leak check holds sponsor B's lead and the membership-less superuser to that).
    Row("api-quality-agreement-list", statuses(401, 200, 200, 200, 200, 200, 200, 200)),
    Row(
        "onboarding-quality-agreement",
        statuses(LOGIN, 200, 200, 404, 200, 200, 200, 404),
        kwargs=HELIX,
    ),
    Row(
        "onboarding-quality-agreement",
        statuses(LOGIN, 403, 403, 404, 403, 403, 302, 404, qa=302),
        kwargs=HELIX,
        method="post",
        data=AGREEMENT,
    ),
    Row(
        "onboarding-quality-agreement",
        statuses(LOGIN, 403, 403, 404, 403, 403, 422, 404, qa=422),
        kwargs=HELIX,
        method="post",
        data={**AGREEMENT, "reason": "", "major_notify": "0"},
        label="no reason, zero window",
    ),
]
