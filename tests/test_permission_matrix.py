"""Every URL against every persona, on sponsor A's objects (DESIGN §7): one harness
(tests/support/permissions.py), one table per app (tests/<app>/permission_rows.py).

Another sponsor's object is a 404, never a 403; anonymous users are sent to sign in (pages) or
get a 401 (API); a refused write changes nothing; no sponsor sees another sponsor's data or an
internal item. The scene is built once for the module and every test runs in a savepoint of it.
"""

import pytest

from programs.models import Program
from tests.comms.permission_rows import ROWS as COMMS
from tests.deviations.permission_rows import ROWS as DEVIATIONS
from tests.governance.permission_rows import ROWS as GOVERNANCE
from tests.integrations.permission_rows import ROWS as INTEGRATIONS
from tests.onboarding.permission_rows import ROWS as ONBOARDING
from tests.outcomes.permission_rows import ROWS as OUTCOMES
from tests.outcomes.permission_rows_kpis import ROWS as OUTCOMES_KPIS
from tests.outcomes.permission_rows_scorecard import ROWS as OUTCOMES_SCORECARD
from tests.people.permission_rows_people import ROWS as PEOPLE
from tests.portal.permission_rows import ROWS as PORTAL
from tests.portal.permission_rows_delegations import ROWS as DELEGATIONS
from tests.portal.permission_rows_identity import ROWS as IDENTITY
from tests.portal.permission_rows_mfa import ROWS as MFA
from tests.portal.permission_rows_sso import ROWS as SSO
from tests.programs.permission_rows import ROWS as PROGRAMS
from tests.programs.permission_rows_batches import ROWS as BATCHES
from tests.programs.permission_rows_feed import ROWS as FEED
from tests.support.api import private_throttles
from tests.support.permissions import Case, Scene, cases, check, database_state, writes

ROWS = [
    *PORTAL, *COMMS, *PROGRAMS, *GOVERNANCE, *DEVIATIONS, *INTEGRATIONS,
    *PEOPLE, *ONBOARDING, *DELEGATIONS, *SSO, *IDENTITY, *MFA,
    *OUTCOMES, *OUTCOMES_KPIS, *OUTCOMES_SCORECARD, *BATCHES, *FEED,
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_throttles(monkeypatch, request):
    private_throttles(monkeypatch, request.node.nodeid)


@pytest.mark.clause("21 CFR 11.10(d)")
@pytest.mark.clause("21 CFR 11.10(g)")
@pytest.mark.clause("EU GMP Annex 11 §12.1")
@pytest.mark.parametrize("case", cases(ROWS), ids=str)
def test_every_persona_gets_what_the_row_says(permission_scene: Scene, db, case: Case):
    check(permission_scene, case)


def test_the_harness_tells_a_write_from_a_session_or_a_token_stamp():
    queries = [
        {"sql": 'UPDATE "django_session" SET "session_data" = \'x\' WHERE "session_key" = \'k\''},
        {"sql": 'UPDATE "portal_apitoken" SET "last_used_at" = \'2026-01-01\' WHERE "id" = 1'},
        {"sql": 'SELECT "programs_program"."id" FROM "programs_program" FOR UPDATE'},
        {"sql": 'UPDATE "portal_apitoken" SET "revoked_at" = \'2026-01-01\' WHERE "id" = 1'},
        {"sql": 'INSERT INTO "comms_comment" ("body") VALUES (\'x\')'},
    ]

    assert writes(queries) == [queries[3]["sql"], queries[4]["sql"]]


def test_the_harness_sees_a_changed_row_against_the_scene(permission_scene: Scene, db):
    assert database_state() == permission_scene.state

    Program.objects.filter(pk=permission_scene.world.program.pk).update(health="red")

    assert database_state() != permission_scene.state
