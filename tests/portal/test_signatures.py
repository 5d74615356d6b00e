"""Electronic signatures: password each time, bound to the record's version, append only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from deviations import signed_content
from deviations.models import CAPA, Deviation, RootCause
from deviations.services import reporting
from deviations.services.capa import capa_add
from deviations.services.investigation import root_cause_add
from portal import signatures
from portal.errors import Invalid, NotAllowed, ServiceError
from portal.forms import SignatureForm
from portal.models import AuditEntry, Signature
from portal.signatures import (
    MEANING_REQUIRED,
    ROW_CONTENT,
    TOKEN_CANNOT_SIGN,
    TOO_MANY_ATTEMPTS,
    WRONG_PASSWORD,
    is_signature_current,
    record_version,
    signature_sign,
    signature_verify,
    signatures_for,
    signatures_with_status,
)
from programs.models import Milestone
from programs.services.health import program_override_health
from tests.deviations.conftest import log_deviation, move
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _sign(world, password=PASSWORD, meaning="approved", **extra):
    return signature_sign(
        signer=world.staff,
        password=password,
        record=world.program,
        meaning=meaning,
        program_id=world.program.pk,
        **extra,
    )


def _change(world, health="red"):
    program_override_health(actor=world.pm, program=world.program, health=health, reason="Resin")
    world.program.refresh_from_db()


def _failures(world):
    return AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_FAILED, actor=world.staff)


@pytest.mark.clause("21 CFR 11.50")
@pytest.mark.clause("21 CFR 11.200(a)")
@pytest.mark.clause("EU GMP Annex 11 §14")
def test_the_right_password_signs_with_printed_name_meaning_and_version(world):
    signature = _sign(world, statement="Batch record reviewed")

    stored = Signature.objects.get()
    assert stored == signature
    assert stored.signer == world.staff
    assert stored.printed_name == world.staff.display_name
    assert stored.meaning == "approved"
    assert stored.statement == "Batch record reviewed"
    assert stored.model == "programs.program"
    assert stored.object_pk == str(world.program.pk)
    assert stored.program == world.program
    assert stored.record_version == record_version(world.program)
    assert len(stored.record_version) == 64
    assert stored.signed_at.utcoffset().total_seconds() == 0


def test_signing_is_audited_on_the_signed_record(world):
    signature = _sign(world)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SIGN)
    assert entry.model == "programs.program"
    assert entry.object_pk == str(world.program.pk)
    assert entry.actor == world.staff
    assert entry.changes["signature"] == [None, signature.pk]
    assert entry.changes["record_version"] == [None, signature.record_version]


@pytest.mark.clause("21 CFR 11.200(a)")
@pytest.mark.clause("21 CFR 11.300(d)")
def test_a_wrong_password_signs_nothing_and_is_audited_and_counted(world):
    with pytest.raises(Invalid) as refused:
        _sign(world, password="not-my-password")

    assert refused.value.message == WRONG_PASSWORD
    assert refused.value.field == "password"
    assert not Signature.objects.exists()
    failure = _failures(world).get()
    assert failure.model == "programs.program"
    assert failure.reason == "Wrong password"
    assert cache.get(f"sign-fail:user:{world.staff.pk}") == 1


@pytest.mark.clause("21 CFR 11.300(d)")
def test_the_sixth_attempt_is_refused_even_with_the_right_password(world):
    for _ in range(5):
        with pytest.raises(ServiceError, match="password is not correct"):
            _sign(world, password="guess")

    with pytest.raises(Invalid) as refused:
        _sign(world)

    assert refused.value.message == TOO_MANY_ATTEMPTS
    assert refused.value.field == "password"
    assert not Signature.objects.exists()
    assert _failures(world).count() == 6


def test_the_throttle_counts_per_signer(world):
    for _ in range(5):
        with pytest.raises(ServiceError):
            _sign(world, password="guess")
    other = signature_sign(
        signer=world.pm, password=PASSWORD, record=world.program, meaning="reviewed"
    )
    assert other.printed_name == "Pat Manager"


def test_a_successful_signature_resets_the_failure_count(world):
    for _ in range(4):
        with pytest.raises(ServiceError):
            _sign(world, password="guess")
    _sign(world)
    assert cache.get(f"sign-fail:user:{world.staff.pk}") is None


@pytest.mark.parametrize("meaning", ["", "blessed", "APPROVED"])
def test_a_missing_or_unknown_meaning_is_refused(world, meaning):
    with pytest.raises(Invalid) as refused:
        _sign(world, meaning=meaning)
    assert refused.value.message == MEANING_REQUIRED
    assert refused.value.field == "meaning"
    assert not Signature.objects.exists()


@pytest.mark.clause("21 CFR 11.100(a)")
def test_an_api_token_can_never_sign_even_with_the_password(world):
    with pytest.raises(NotAllowed) as refused:
        _sign(world, via_token=True)
    assert refused.value.message == TOKEN_CANNOT_SIGN
    assert not Signature.objects.exists()
    assert _failures(world).get().reason == "API token"


def test_verify_checks_without_storing_anything(world):
    signature_verify(signer=world.staff, password=PASSWORD, meaning="approved")
    with pytest.raises(ServiceError, match="password is not correct"):
        signature_verify(signer=world.staff, password="nope", meaning="approved")
    assert not Signature.objects.exists()


def test_signing_joins_the_callers_transaction(world):
    def sign_then_fail():
        with transaction.atomic():
            _sign(world)
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        sign_then_fail()
    assert not Signature.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SIGN).exists()


def test_the_version_is_stable_until_the_record_changes(world):
    before = record_version(world.program)
    assert record_version(world.program) == before
    _change(world)
    assert record_version(world.program) != before


@pytest.mark.clause("21 CFR 11.70")
@pytest.mark.clause("EU GMP Annex 11 §14")
def test_a_change_after_signing_supersedes_the_signature_until_re_signed(world):
    first = _sign(world)
    assert is_signature_current(first, world.program)

    _change(world)

    assert not is_signature_current(first, world.program)
    second = _sign(world)
    assert is_signature_current(second, world.program)
    assert [item.current for item in signatures_with_status(world.program)] == [False, True]
    assert list(signatures_for(world.program)) == [first, second]


def test_a_record_type_without_a_content_definition_is_signed_as_its_row(world):
    signature = _sign(world)
    assert signature.content_version == ROW_CONTENT
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SIGN)
    assert entry.changes["content_version"] == [None, ROW_CONTENT]


def test_a_signature_of_another_record_is_not_current_for_this_one(world):
    foreign = signature_sign(
        signer=world.pm, password=PASSWORD, record=world.program_b, meaning="approved"
    )
    assert not is_signature_current(foreign, world.program)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE portal_signature SET meaning = 'reviewed'", "DELETE FROM portal_signature"],
)
@pytest.mark.clause("21 CFR 11.10(c)")
@pytest.mark.clause("21 CFR 11.70")
def test_the_database_refuses_to_change_signature_rows(world, statement):
    _sign(world)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Signature.objects.get().meaning == "approved"


def test_the_orm_cannot_edit_or_delete_a_signature_either(world):
    signature = _sign(world)
    signature.meaning = "reviewed"
    with pytest.raises(DatabaseError), transaction.atomic():
        signature.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.all().delete()
    assert Signature.objects.get().meaning == "approved"


@pytest.mark.clause("21 CFR 11.50")
@pytest.mark.clause("EU GMP Annex 11 §14")
def test_the_manifestation_shows_name_times_meaning_version_and_superseded(world):
    signature = _sign(world, statement="Reviewed for release")
    _change(world)
    current = _sign(world, meaning="reviewed")

    html = render_to_string(
        "components/signatures.html", {"signatures": signatures_with_status(world.program)}
    )

    assert html.count(world.staff.display_name) == 2
    assert "Approved" in html
    assert "Reviewed" in html
    assert "Reviewed for release" in html
    assert signature.short_version in html
    assert current.short_version in html
    assert html.count("Superseded: record changed after signing") == 1
    assert html.count(">Current</span>") == 1
    assert f"{signature.signed_at:%H:%M:%S} UTC" in html


def test_the_signature_form_asks_for_password_and_meaning_with_inline_errors(rf, world):
    form = SignatureForm(data={"password": "", "meaning": ""})
    assert not form.is_valid()
    assert form.errors["meaning"] == [MEANING_REQUIRED]

    request = rf.get("/")
    request.user = world.staff
    html = render_to_string("portal/signature_form.html", {"form": form}, request=request)
    assert MEANING_REQUIRED in html
    assert 'type="password"' in html
    assert world.staff.display_name in html


def test_the_signature_form_can_offer_only_some_meanings():
    form = SignatureForm(meanings=["approved"])
    assert [value for value, _ in form.fields["meaning"].choices] == ["", "approved"]
    assert form.fields["meaning"].initial == "approved"


SQLITE_SCRIPT = """
import django
django.setup()
from django.db import DatabaseError, connection
from portal.models import Membership, Organisation, Signature, User
from portal.signatures import signature_sign
from programs.services.program import program_create

assert connection.vendor == "sqlite", connection.vendor
sponsor = Organisation.objects.create(name="Helix", slug="helix", kind="sponsor")
program = program_create(
    actor=None, sponsor=sponsor, code="HLX-101", name="Helix mAb", phase="phase_2"
)
qa = User.objects.create_user("qa@nb.example", "pw-123456", display_name="Quinn QA")
signature_sign(signer=qa, password="pw-123456", record=program, meaning="approved")
assert Signature.objects.count() == 1
for statement in (
    "UPDATE portal_signature SET meaning = 'reviewed'",
    "DELETE FROM portal_signature",
):
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as exc:
        assert "append-only" in str(exc), exc
    else:
        raise SystemExit("SQLite accepted: " + statement)
print("REFUSED-BOTH")
"""


def test_sqlite_refuses_update_and_delete_on_signature_rows(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}
    }
    # DEBUG=1: outside pytest's own process the test switches are refused without it.
    env.update(
        DEBUG="1",
        PORTAL_TESTING="1",
        PORTAL_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "REFUSED-BOTH" in result.stdout


# What a deviation's signature binds (deviations/signed_content.py): the deviation with its
# impact, closure, root causes and CAPA actions; not the sponsor's acknowledgement.


def _closed_deviation(world):
    deviation = log_deviation(world)
    capa = capa_add(
        actor=world.pm,
        deviation=deviation,
        kind="corrective",
        description="Replace the gasket",
        owner=world.pm,
    )
    cause = root_cause_add(
        actor=world.pm, deviation=deviation, category="equipment", description="Worn gasket"
    )
    closed = move(world, deviation, "investigating", "pending_capa", "closed")
    return closed, capa, cause


def _current(deviation) -> list[bool]:
    return [item.current for item in signatures_with_status(deviation)]


def test_a_deviation_is_signed_under_its_own_content_definition(world):
    closed, _, _ = _closed_deviation(world)
    signature = Signature.objects.get()
    assert signature.content_version == signed_content.CONTENT_VERSION
    content = signatures.signed_content(closed)
    assert set(content) == {"deviation", "impact", "closure", "root_causes", "capas"}
    assert content["deviation"]["status"] == "closed"
    assert [capa["description"] for capa in content["capas"]] == ["Replace the gasket"]
    assert [cause["description"] for cause in content["root_causes"]] == ["Worn gasket"]
    assert "sponsor_acknowledged_at" not in json.dumps(content)
    assert "version" not in content["deviation"]


@pytest.mark.parametrize(
    "change",
    [
        lambda d, capa, cause: CAPA.objects.filter(pk=capa.pk).update(status="done"),
        lambda d, capa, cause: CAPA.objects.filter(pk=capa.pk).update(effectiveness_check="x"),
        lambda d, capa, cause: RootCause.objects.filter(pk=cause.pk).update(description="Other"),
        lambda d, capa, cause: RootCause.objects.filter(pk=cause.pk).delete(),
        lambda d, capa, cause: Deviation.objects.filter(pk=d.pk).update(impact_cost="More"),
        lambda d, capa, cause: Deviation.objects.filter(pk=d.pk).update(closure_reason="Other"),
        lambda d, capa, cause: d.affected_milestones.add(
            Milestone.objects.create(
                program=d.program, name="PPQ", baseline_date=d.aware_at, forecast_date=d.aware_at
            )
        ),
    ],
    ids=[
        "capa status",
        "capa effectiveness",
        "root cause",
        "root cause removed",
        "impact",
        "closure",
        "affected milestone",
    ],
)
@pytest.mark.clause("21 CFR 11.70")
def test_a_change_in_the_database_to_any_part_of_a_signed_deviation_supersedes_it(world, change):
    closed, capa, cause = _closed_deviation(world)
    assert _current(closed) == [True]

    change(closed, capa, cause)

    assert _current(closed) == [False]


def test_the_acknowledgement_and_the_bookkeeping_are_not_signed_content(world):
    closed, _, _ = _closed_deviation(world)

    Deviation.objects.filter(pk=closed.pk).update(
        sponsor_acknowledged_at=timezone.now(),
        sponsor_acknowledged_by=world.lead_a,
        seconds_to_acknowledge=60,
        version=99,
    )

    assert _current(closed) == [True]


def _row_signature(world, deviation) -> Signature:
    """A signature as the portal made them before content definitions: of the row (v1)."""
    return Signature.objects.create(
        signer=world.staff,
        printed_name=world.staff.display_name,
        meaning="approved",
        model="deviations.deviation",
        object_pk=str(deviation.pk),
        object_repr=str(deviation),
        record_version=record_version(deviation, ROW_CONTENT),
        content_version=ROW_CONTENT,
        program=deviation.program,
    )


def test_a_signature_made_under_the_row_definition_is_still_checked_by_it(world):
    closed, capa, _ = _closed_deviation(world)
    old = _row_signature(world, closed)
    assert is_signature_current(old, closed)

    # Not part of the row: the row definition never covered the CAPA actions.
    CAPA.objects.filter(pk=capa.pk).update(status="done")
    assert is_signature_current(old, closed)

    Deviation.objects.filter(pk=closed.pk).update(impact_cost="More")
    assert not is_signature_current(old, closed)


def test_an_acknowledgement_after_a_row_signature_leaves_it_current(world):
    """The row definition hashed the acknowledgement's fields while they were empty; they are
    written once, so the row with them still empty is what was signed."""
    closed, _, _ = _closed_deviation(world)
    old = _row_signature(world, closed)

    reporting.deviation_acknowledge(actor=world.lead_a, deviation=closed)

    assert is_signature_current(old, closed)
    assert [item.current for item in signatures_with_status(closed)] == [True, True]
    Deviation.objects.filter(pk=closed.pk).update(title="Changed")
    assert not is_signature_current(old, closed)


def test_a_content_definition_starts_at_2_and_one_version_has_one_definition(monkeypatch):
    monkeypatch.setattr(signatures, "_RECORD_TYPES", {})

    def content(record):
        return {}

    with pytest.raises(ValueError, match="row itself"):
        signatures.register_content(Deviation, version=ROW_CONTENT, content=content)
    signatures.register_content(Deviation, version=2, content=content)
    signatures.register_content(Deviation, version=2, content=content)  # again: the same one
    with pytest.raises(ValueError, match="already has a content definition 2"):
        signatures.register_content(Deviation, version=2, content=lambda record: {"other": 1})


def test_a_signature_under_an_unknown_definition_cannot_be_checked(world):
    closed, _, _ = _closed_deviation(world)
    with pytest.raises(LookupError, match="no signed-content definition 7"):
        record_version(closed, 7)
