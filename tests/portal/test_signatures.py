"""Electronic signatures: password each time, bound to the record's version, append only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string

from portal.errors import Conflict, Invalid, NotAllowed, ServiceError
from portal.forms import SignatureForm
from portal.models import AuditEntry, Signature
from portal.signatures import (
    MEANING_REQUIRED,
    SIGNATURE_OF_ANOTHER_RECORD,
    SIGNATURE_REQUIRED,
    SIGNED_RECORD_CHANGED,
    SIGNED_RECORD_NEEDS_SIGNATURE,
    TOKEN_CANNOT_SIGN,
    TOO_MANY_ATTEMPTS,
    WRONG_PASSWORD,
    assert_unsigned_or_resigned,
    is_signature_current,
    record_version,
    require_current_signature,
    signature_sign,
    signature_verify,
    signatures_for,
    signatures_with_status,
)
from programs.services.health import program_override_health
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


def test_a_change_after_signing_supersedes_the_signature_until_re_signed(world):
    first = _sign(world)
    assert is_signature_current(first, world.program)
    require_current_signature(world.program)

    _change(world)

    assert not is_signature_current(first, world.program)
    with pytest.raises(Conflict) as refused:
        require_current_signature(world.program)
    assert refused.value.message == SIGNED_RECORD_CHANGED

    second = _sign(world)
    require_current_signature(world.program)
    assert [item.current for item in signatures_with_status(world.program)] == [False, True]
    assert list(signatures_for(world.program)) == [first, second]


def test_a_required_signature_of_a_given_meaning_must_exist(world):
    _sign(world, meaning="reviewed")
    require_current_signature(world.program, meaning="reviewed")
    with pytest.raises(Invalid) as refused:
        require_current_signature(world.program, meaning="approved")
    assert refused.value.message == SIGNATURE_REQUIRED


def test_an_unsigned_record_may_be_edited_without_a_signature(world):
    _change(world)
    assert_unsigned_or_resigned(world.program)


def test_an_edit_of_a_signed_record_is_refused_without_a_new_signature(world):
    _sign(world)

    def edit_without_signing():
        with transaction.atomic():
            _change(world)
            assert_unsigned_or_resigned(world.program)

    with pytest.raises(Invalid) as refused:
        edit_without_signing()
    assert refused.value.message == SIGNED_RECORD_NEEDS_SIGNATURE
    world.program.refresh_from_db()
    assert world.program.health != "red"


def test_an_edit_of_a_signed_record_passes_with_a_signature_of_the_new_content(world):
    _sign(world)
    _change(world)
    resigned = _sign(world)
    assert_unsigned_or_resigned(world.program, new_signature=resigned)


def test_an_old_or_foreign_signature_does_not_cover_an_edit(world):
    old = _sign(world)
    _change(world)
    with pytest.raises(Conflict) as stale:
        assert_unsigned_or_resigned(world.program, new_signature=old)
    assert stale.value.message == SIGNED_RECORD_CHANGED

    foreign = signature_sign(
        signer=world.pm, password=PASSWORD, record=world.program_b, meaning="approved"
    )
    with pytest.raises(Invalid) as wrong:
        assert_unsigned_or_resigned(world.program, new_signature=foreign)
    assert wrong.value.message == SIGNATURE_OF_ANOTHER_RECORD


@pytest.mark.parametrize(
    "statement",
    ["UPDATE portal_signature SET meaning = 'reviewed'", "DELETE FROM portal_signature"],
)
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
