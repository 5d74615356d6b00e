"""The inspection bundle: what it holds, for whom, and that its verifier catches a change."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile

import pytest

from outcomes import bundle, periods
from outcomes.jobs import job_download
from outcomes.models import Job
from portal import audit_checkpoints, clock
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry
from tests.outcomes.bundle_support import (
    INTERNAL_COMMENT,
    INTERNAL_COST,
    INTERNAL_MINUTES,
    SHARED_MINUTES,
    all_text,
    build_bytes,
    extract,
    inspected_program,
    job_for,
    member,
    run_verifier,
    this_month,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(world):
    return inspected_program(world)


@pytest.fixture
def sponsor_bundle(world, record) -> bytes:
    return build_bytes(job_for(world.lead_a, world.program))


@pytest.fixture
def qa_bundle(world, record) -> bytes:
    return build_bytes(job_for(world.qa, world.program))


def rewrite(folder, name: str, change) -> None:
    path = folder / name
    path.write_bytes(change(path.read_bytes()))


def test_a_fresh_bundle_verifies_extracted_and_as_the_archive(sponsor_bundle, tmp_path):
    folder = extract(sponsor_bundle, tmp_path)
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(sponsor_bundle)

    in_folder = run_verifier(folder)
    against_zip = run_verifier(folder, str(archive))

    assert in_folder.returncode == 0, in_folder.stdout
    assert in_folder.stdout.startswith("OK")
    assert against_zip.returncode == 0, against_zip.stdout


def test_one_changed_byte_of_a_record_file_is_the_first_broken_link(sponsor_bundle, tmp_path):
    folder = extract(sponsor_bundle, tmp_path)
    rewrite(folder, "records/deviations.csv", lambda data: data.replace(b"Filter", b"Fixter", 1))

    result = run_verifier(folder)

    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("FIRST BROKEN LINK: records/deviations.csv: its SHA-256 is ")


def test_one_changed_audit_entry_is_named_by_its_line_and_position(sponsor_bundle, tmp_path):
    folder = extract(sponsor_bundle, tmp_path)
    lines = (folder / "audit/audit_trail.jsonl").read_text().splitlines()
    third = json.loads(lines[2])
    third["entry"]["actor"] = "Someone Else <else@example.com>"
    lines[2] = json.dumps(third)
    (folder / "audit/audit_trail.jsonl").write_text("\n".join(lines) + "\n")

    result = run_verifier(folder)

    assert result.returncode == 1
    position = third["entry"]["sequence"]
    assert result.stdout.splitlines()[0] == (
        f"FIRST BROKEN LINK: audit/audit_trail.jsonl line 3 (audit entry at chain position "
        f"{position}): its content does not match its bundle link"
    )


def test_a_changed_entry_is_named_even_when_the_manifest_is_rehashed(sponsor_bundle, tmp_path):
    """Whoever also fixes the file's hash in the manifest still breaks the entry's own link."""
    folder = extract(sponsor_bundle, tmp_path)
    trail = folder / "audit/audit_trail.jsonl"
    lines = trail.read_text().splitlines()
    second = json.loads(lines[1])
    second["entry"]["reason"] = "backdated"
    lines[1] = json.dumps(second, sort_keys=True, separators=(",", ":"))
    trail.write_text("\n".join(lines) + "\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["audit/audit_trail.jsonl"]["sha256"] = hashlib.sha256(
        trail.read_bytes()
    ).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))

    result = run_verifier(folder)

    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(
        "FIRST BROKEN LINK: audit/audit_trail.jsonl line 2 (audit entry at chain position"
    )


def test_a_removed_audit_entry_breaks_the_server_chain_link(sponsor_bundle, tmp_path):
    folder = extract(sponsor_bundle, tmp_path)
    trail = folder / "audit/audit_trail.jsonl"
    lines = trail.read_text().splitlines()
    del lines[3]
    trail.write_text("\n".join(lines) + "\n")

    result = run_verifier(folder)

    assert result.returncode == 1
    assert "line 4" in result.stdout.splitlines()[0]
    assert "was expected" in result.stdout
    assert "does not link to the entry before it" in result.stdout


def test_the_manifest_holds_the_sha256_of_every_file_and_the_anchors(world, sponsor_bundle):
    with zipfile.ZipFile(io.BytesIO(sponsor_bundle)) as zipped:
        names = {name.split("/", 1)[1]: name for name in zipped.namelist()}
        manifest = json.loads(zipped.read(names["manifest.json"]))
        for name, about in manifest["files"].items():
            assert hashlib.sha256(zipped.read(names[name])).hexdigest() == about["sha256"], name
        assert set(manifest["files"]) == set(names) - {"manifest.json"}
    assert {"records/deviations.csv", "records/deviations.json", "records/capa.json"} <= set(
        manifest["files"]
    )
    anchors = manifest["audit"]["anchors"]
    chain = AuditEntry.objects.filter(program=world.program).order_by("sequence")
    assert anchors["chain"] == f"program:{world.program.pk}"
    assert anchors["first_position"] == 1
    assert anchors["previous_hash"] == chain.first().previous_hash
    assert manifest["audit"]["bundle_chain"]["entries"] == chain.count()
    assert manifest["files"]["records/deviations.json"]["rows"] == 1


def test_a_sponsor_bundle_holds_no_other_sponsors_record_nor_an_internal_item(
    world, record, sponsor_bundle
):
    text = all_text(sponsor_bundle)

    assert "Borealis-only deviation" not in text
    assert record["other"].reference not in text
    for internal in (INTERNAL_MINUTES, INTERNAL_COMMENT, INTERNAL_COST):
        assert internal not in text
    assert SHARED_MINUTES in member(sponsor_bundle, "records/meetings.csv")
    withheld = [
        json.loads(line)["entry"]
        for line in member(sponsor_bundle, "audit/audit_trail.jsonl").splitlines()
        if "withheld" in json.loads(line)["entry"]
    ]
    # The internal comment and cost line stay in the chain as positions and hashes only.
    assert len(withheld) >= 2
    assert all(
        set(entry) == {"sequence", "previous_hash", "entry_hash", "withheld"} for entry in withheld
    )


def test_a_cdmo_bundle_holds_the_internal_items(qa_bundle):
    text = all_text(qa_bundle)

    assert INTERNAL_MINUTES in member(qa_bundle, "records/meetings.json")
    assert INTERNAL_COST in text
    assert INTERNAL_COMMENT in text
    assert "Borealis-only deviation" not in text


def test_every_signature_is_there_with_its_meaning_and_the_version_signed(
    world, record, sponsor_bundle
):
    signatures = json.loads(member(sponsor_bundle, "signatures/signatures.json"))
    batch_signature = next(s for s in signatures if s["record_type"] == "programs.batch")

    assert batch_signature["meaning"] == "Approved"
    assert batch_signature["printed_name"] == world.qa.display_name
    assert batch_signature["statement"] == "Batch record reviewed"
    assert len(batch_signature["record_version_sha256"]) == 64
    assert "record_version_sha256" in member(sponsor_bundle, "signatures/signatures.csv")
    trail = member(sponsor_bundle, "audit/audit_trail.jsonl")
    assert batch_signature["record_version_sha256"] in trail  # the signing entry, too


def test_the_same_records_give_the_same_bytes(world, record):
    first = build_bytes(job_for(world.lead_a, world.program))
    second = build_bytes(job_for(world.lead_a, world.program))

    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zipped:
        last_day = this_month().last_day
        assert {info.date_time[:3] for info in zipped.infolist()} == {
            (last_day.year, last_day.month, last_day.day)
        }


# --- Asking for a bundle ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead_a", "qa", "pm", "leader"])
def test_the_accountable_people_may_ask_and_the_request_is_audited(world, persona, monkeypatch):
    sent = []
    monkeypatch.setattr("outcomes.jobs.enqueue_on_commit", lambda *args: sent.append(args))
    actor = getattr(world, persona)

    job = bundle.bundle_request(actor=actor, program=world.program, period=this_month())

    assert job.kind == Job.Kind.BUNDLE
    assert sent == [(bundle.TASK, str(job.pk))]
    assert AuditEntry.objects.filter(
        model="outcomes.job", object_pk=str(job.pk), action="create", actor=actor
    ).exists()


@pytest.mark.parametrize("persona", ["viewer_a", "staff"])
def test_a_viewer_and_operations_staff_may_not_ask(world, persona):
    with pytest.raises(NotAllowed):
        bundle.bundle_request(
            actor=getattr(world, persona), program=world.program, period=this_month()
        )
    assert not Job.objects.exists()


def test_a_sponsor_may_not_ask_for_another_sponsors_program(world):
    with pytest.raises(NotAllowed):
        bundle.bundle_request(actor=world.lead_b, program=world.program, period=this_month())


def test_building_the_job_and_downloading_it_are_audited(world, record, monkeypatch, tmp_path):
    monkeypatch.setattr("outcomes.jobs.enqueue_on_commit", lambda *args: None)
    job = bundle.bundle_request(actor=world.lead_a, program=world.program, period=this_month())

    bundle.bundle_build(str(job.pk))
    job.refresh_from_db()
    response = job_download(actor=world.lead_a, job=job)
    data = b"".join(response.streaming_content)

    assert job.state == Job.State.DONE
    month = this_month()
    assert (
        job.file_name
        == f"HLX-101-inspection-bundle-{month.start:%Y%m%d}-{month.last_day:%Y%m%d}.zip"
    )
    assert hashlib.sha256(data).hexdigest() == job.sha256
    assert (
        AuditEntry.objects.filter(
            model="outcomes.job", object_pk=str(job.pk), action=AuditEntry.Action.DOWNLOAD
        ).count()
        == 1
    )
    archive = tmp_path / "downloaded.zip"
    archive.write_bytes(data)
    assert run_verifier(extract(data, tmp_path / "x"), str(archive)).returncode == 0


# --- Periods ------------------------------------------------------------------------------------


def test_a_named_period_is_parsed():
    period = bundle.bundle_period(period="month", key="2026-11")
    assert (period.start, period.end) == (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))


def test_explicit_days_include_the_last_day():
    today = clock.site_today()
    period = bundle.bundle_period(
        period="custom", first_day=today - datetime.timedelta(days=9), last_day=today
    )
    assert period.end == today + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"period": "month", "key": "2026-13"},
            "key",
            periods.PERIOD_MALFORMED.format(example="2026-11"),
        ),
        ({"period": "weekly"}, "period", None),
        (
            {"period": "custom", "first_day": datetime.date(2026, 3, 1)},
            "last_day",
            bundle.PERIOD_DATES_MISSING,
        ),
        (
            {
                "period": "custom",
                "first_day": datetime.date(2026, 3, 2),
                "last_day": datetime.date(2026, 3, 1),
            },
            "last_day",
            bundle.PERIOD_ENDS_BEFORE_START,
        ),
        (
            {
                "period": "custom",
                "first_day": datetime.date(2099, 1, 1),
                "last_day": datetime.date(2099, 2, 1),
            },
            "first_day",
            periods.PERIOD_IN_FUTURE,
        ),
        (
            {
                "period": "custom",
                "first_day": datetime.date(1995, 1, 1),
                "last_day": datetime.date(1995, 2, 1),
            },
            "first_day",
            None,
        ),
        ({"period": "month", "key": "2099-01"}, "key", periods.PERIOD_IN_FUTURE),
        (
            {"period": "month", "first_day": datetime.date(2026, 3, 1)},
            "first_day",
            bundle.PERIOD_CHOOSE_ONE,
        ),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(fields, field, message):
    with pytest.raises(Invalid) as refused:
        bundle.bundle_period(**fields)
    assert refused.value.field == field
    if message:
        assert refused.value.message == message


def test_the_checkpoints_kept_outside_the_database_anchor_the_exported_stretch(world, record):
    checkpoint = audit_checkpoints.write()
    assert checkpoint is not None
    position, entry_hash = checkpoint.heads[f"program:{world.program.pk}"]

    archive = build_bytes(job_for(world.lead_a, world.program))
    manifest = json.loads(member(archive, "manifest.json"))

    assert manifest["audit"]["anchors"]["checkpoints"] == [
        {"position": position, "entry_hash": entry_hash, "label": checkpoint.label}
    ]
