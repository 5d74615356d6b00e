"""Batches: planned by the team, decided by QA of the program under signature, delivered; the
outcome derived from the record; bad input refused with its message and nothing changed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from deviations.models import Deviation
from deviations.services.common import UNKNOWN_LOTS
from deviations.signed_content import deviation_content
from portal import clock
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, Signature
from portal.signatures import signatures_with_status
from programs.models import Batch, Event
from programs.services import batches as services
from tests.deviations.conftest import log_deviation
from tests.factories import PASSWORD
from tests.support.api import api_client, assert_error, post_json
from tests.support.queries import count_queries
from tests.support.world import client_for

pytestmark = pytest.mark.django_db

TODAY = clock.site_today()
DAY = datetime.timedelta(days=1)


def _plan(world, lot="L-100", *, started=True, program=None, committed="100"):
    return services.batch_create(
        actor=world.pm,
        program=program or world.program,
        lot_number=lot,
        planned_start=TODAY - 20 * DAY,
        planned_release=TODAY - 5 * DAY,
        quantity_committed=Decimal(committed),
        quantity_unit="kg",
        actual_start=TODAY - 20 * DAY if started else None,
    )


def _release(world, batch, on=None):
    return services.batch_decide(
        actor=world.qa,
        batch=batch,
        decision=Batch.Disposition.RELEASED,
        decided_on=on or TODAY - 5 * DAY,
        password=PASSWORD,
    )


def _outcome(batch):
    return Batch.objects.with_outcome().get(pk=batch.pk)


def test_planning_a_batch_is_audited_and_told_to_the_sponsor(world):
    batch = _plan(world)

    assert AuditEntry.objects.filter(model="programs.batch", object_pk=str(batch.pk)).exists()
    event = Event.objects.get(program=world.program, kind=Event.Kind.BATCH)
    assert (event.verb, event.audience) == ("batch.planned", "sponsor")


def test_a_lot_number_is_unique_in_its_program_and_a_plan_must_end_after_it_starts(world):
    _plan(world, "L-1")
    with pytest.raises(Invalid) as taken:
        _plan(world, "l-1")
    assert taken.value.field == "lot_number"
    with pytest.raises(Invalid) as backwards:
        services.batch_create(
            actor=world.pm,
            program=world.program,
            lot_number="L-2",
            planned_start=TODAY,
            planned_release=TODAY - DAY,
            quantity_committed=Decimal(1),
        )
    assert backwards.value.message == services.RELEASE_BEFORE_PLANNED_START
    assert Batch.objects.count() == 1


def test_qa_releases_under_signature_and_the_record_is_then_locked(world):
    batch = _release(world, _plan(world))

    batch.refresh_from_db()
    assert batch.disposition == "released"
    assert batch.actual_release == TODAY - 5 * DAY
    (status,) = signatures_with_status(batch)
    assert status.current
    assert status.signature.meaning == Signature.Meaning.APPROVED
    with pytest.raises(Conflict):
        services.batch_update(actor=world.pm, batch=batch, planned_release=TODAY)
    with pytest.raises(Conflict):
        services.batch_rework(actor=world.qa, batch=batch, reason="Again")


def test_the_delivery_after_release_leaves_the_signature_current(world):
    batch = _release(world, _plan(world))

    services.batch_record_delivery(actor=world.pm, batch=batch, quantity_delivered=Decimal(90))

    (status,) = signatures_with_status(batch)
    assert status.current
    assert _outcome(batch).in_full is False


@pytest.mark.parametrize("persona", ["staff", "pm", "leader"])
def test_only_qa_of_the_program_decides_and_a_refused_attempt_is_audited(world, persona):
    batch = _plan(world)

    with pytest.raises(NotAllowed):
        services.batch_decide(
            actor=getattr(world, persona),
            batch=batch,
            decision="released",
            decided_on=TODAY,
            password=PASSWORD,
        )

    batch.refresh_from_db()
    assert batch.disposition == "pending"
    assert not Signature.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_FAILED).count() == 1


@pytest.mark.parametrize(
    ("started", "decided_on", "password", "reason", "field", "message"),
    [
        (False, TODAY, PASSWORD, "", "decided_on", services.DECISION_WITHOUT_START),
        (True, TODAY - 30 * DAY, PASSWORD, "", "decided_on", None),
        (True, TODAY + DAY, PASSWORD, "", "decided_on", services.DECISION_IN_FUTURE),
        (True, TODAY, "", "", "password", services.SIGNATURE_REQUIRED),
    ],
)
def test_a_decision_that_cannot_stand_is_refused_and_changes_nothing(
    world, started, decided_on, password, reason, field, message
):
    batch = _plan(world, started=started)

    with pytest.raises((Invalid, Conflict)) as refused:
        services.batch_decide(
            actor=world.qa,
            batch=batch,
            decision="released",
            decided_on=decided_on,
            password=password,
            reason=reason,
        )

    assert refused.value.field == field
    if message:
        assert refused.value.message == message
    batch.refresh_from_db()
    assert (batch.disposition, batch.actual_release) == ("pending", None)
    assert not Signature.objects.exists()


def test_a_rejection_needs_a_reason(world):
    with pytest.raises(Invalid) as refused:
        services.batch_decide(
            actor=world.qa,
            batch=_plan(world),
            decision="rejected",
            decided_on=TODAY,
            password=PASSWORD,
        )
    assert refused.value.field == "reason"


def test_more_delivered_than_committed_needs_the_sponsors_agreement(world):
    batch = _release(world, _plan(world))

    with pytest.raises(Invalid) as refused:
        services.batch_record_delivery(actor=world.pm, batch=batch, quantity_delivered=Decimal(120))
    assert refused.value.field == "quantity_delivered"
    batch.refresh_from_db()
    assert batch.quantity_delivered is None

    services.batch_record_delivery(
        actor=world.pm, batch=batch, quantity_delivered=Decimal(120), over_delivery_agreed=True
    )
    assert _outcome(batch).in_full is True


def test_a_pending_batch_is_not_delivered(world):
    with pytest.raises(Conflict):
        services.batch_record_delivery(
            actor=world.pm, batch=_plan(world), quantity_delivered=Decimal(1)
        )


def test_right_first_time_follows_deviations_and_rework_never_typed_in(world):
    clean, touched, reworked, other = (_plan(world, lot) for lot in ("L-1", "L-2", "L-3", "L-4"))
    services.batch_rework(actor=world.qa, batch=reworked, reason="Filtration repeated")
    deviation = log_deviation(world, batches=["L-2", "L-4"])
    cancelled = log_deviation(world, batches=["L-1"])
    Deviation.objects.filter(pk=cancelled.pk).update(status=Deviation.Status.CANCELLED)
    for batch in (clean, touched, reworked, other):
        _release(world, batch)

    outcome = {b.lot_number: b for b in Batch.objects.with_outcome()}
    assert outcome["L-1"].right_first_time is True  # the cancelled deviation does not count
    assert outcome["L-2"].right_first_time is False
    assert outcome["L-3"].right_first_time is False
    assert outcome["L-4"].right_first_time is False
    assert (outcome["L-2"].deviation_count, outcome["L-4"].deviation_count) == (1, 1)
    assert set(deviation.batches.values_list("lot_number", flat=True)) == {"L-2", "L-4"}


def test_a_deviation_links_only_its_own_programs_lots(world):
    _plan(world, "L-9", program=world.program_b)

    with pytest.raises(Invalid) as refused:
        log_deviation(world, batches=["L-9"])

    assert refused.value.field == "batches"
    assert refused.value.message == UNKNOWN_LOTS.format(program="HLX-101", lots="L-9")
    assert not Deviation.objects.exists()


def test_the_signed_content_keeps_the_batch_key_as_the_text_it_replaced(world):
    _plan(world, "24-117")
    _plan(world, "24-118")
    deviation = log_deviation(world, batches=["24-118", "24-117"])

    assert deviation_content(deviation)["deviation"]["batch"] == "24-117, 24-118"


def test_the_pages_show_the_outcome_and_another_sponsors_lot_is_a_404(world):
    batch = _release(world, _plan(world))
    page = client_for(world, "viewer_a").get(reverse("batch-list", args=["HLX-101"]))
    assert page.status_code == 200
    assert "L-100" in page.content.decode()
    detail = client_for(world, "viewer_a").get(
        batch_url := reverse("batch-detail", args=["HLX-101", batch.lot_number])
    )
    assert "Quinn QA" in detail.content.decode()
    assert client_for(world, "lead_b").get(batch_url).status_code == 404


def test_the_disposition_form_shows_a_wrong_password_inline_and_changes_nothing(world):
    batch = _plan(world)
    url = reverse("batch-decide", args=["HLX-101", batch.lot_number])

    page = client_for(world, "qa").post(
        url, {"decision": "released", "decided_on": TODAY.isoformat(), "password": "wrong"}
    )

    assert page.status_code == 422
    batch.refresh_from_db()
    assert batch.disposition == "pending"


def test_the_api_plans_lists_and_refuses_bad_input_naming_the_field(world):
    client = api_client(world, "pm")
    url = "/api/v1/programs/HLX-101/batches/"
    created = post_json(
        client,
        url,
        {
            "lot_number": "API-1",
            "planned_start": TODAY.isoformat(),
            "planned_release": (TODAY + 10 * DAY).isoformat(),
            "quantity_committed": "50.00",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["right_first_time"] is False
    bad = post_json(
        client,
        url,
        {
            "lot_number": "API-2",
            "planned_start": TODAY.isoformat(),
            "planned_release": (TODAY - DAY).isoformat(),
            "quantity_committed": "50.00",
        },
    )
    assert_error(bad, 400, "invalid", {"planned_release"})
    assert [b["lot_number"] for b in client.get(url).json()["results"]] == ["API-1"]
    assert api_client(world, "lead_b").get(url).status_code == 404


def test_a_token_cannot_sign_a_release(world):
    batch = _plan(world)
    answer = post_json(
        api_client(world, "qa"),
        f"/api/v1/programs/HLX-101/batches/{batch.lot_number}/disposition/",
        {"decision": "released", "decided_on": TODAY.isoformat(), "password": PASSWORD},
    )
    assert answer.status_code == 403
    batch.refresh_from_db()
    assert batch.disposition == "pending"


def test_the_batch_list_costs_the_same_for_few_and_many_batches(world):
    client = client_for(world, "pm")
    url = reverse("batch-list", args=["HLX-101"])
    _release(world, _plan(world, "L-0"))
    few = count_queries(client, url, warm_up=True)
    for index in range(12):
        batch = _plan(world, f"L-{index + 1}")
        if index % 2:
            _release(world, batch)
    log_deviation(world, batches=["L-3", "L-4"])
    assert count_queries(client, url) == few


def test_the_batch_export_carries_the_derived_outcome(world):
    _release(world, _plan(world, "L-7"))

    answer = client_for(world, "viewer_a").get(
        reverse("outcomes:program-export", args=["HLX-101", "batches"]), {"format": "csv"}
    )

    lines = b"".join(answer.streaming_content).decode().splitlines()
    assert lines[0].endswith("on time,in full,right first time,deviations")
    assert lines[1].startswith("L-7,")
    assert lines[1].endswith("True,,True,0")  # on time; not delivered yet; right first time
