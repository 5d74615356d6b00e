"""Segregation of duties (issue 9): QA is a role of its own. Only QA of a program (assigned to
it as QA, or QA across the site) signs a deviation's closure, cancellation, reopening and
extension approvals; operations staff keep investigating but are refused every one of those
signatures (403, nothing changed, the attempt audited); and the requester of an extension never
approves it, while another QA may."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from deviations.models import Deviation, ExtensionRequest
from deviations.services import extensions, lifecycle
from portal import access
from portal.access import Action, Capacity
from portal.errors import NotAllowed
from portal.models import SITE_WIDE_QA_ONLY_FOR_QA, AuditEntry, Membership, Signature, User
from programs.models import QA_ASSIGNMENT_NEEDS_QA_ROLE, Program, ProgramMember
from tests.deviations.conftest import log_deviation, move
from tests.factories import member
from tests.support.admin import admin_url, form_data, post_form, superuser_client
from tests.support.api import assert_error, post_json
from tests.support.world import client_for

Role = Membership.Role
Status = Deviation.Status

# Each signed step of the lifecycle: the status it starts from, where it goes, what it needs.
SIGNED_STEPS = {
    "closure": ([Status.INVESTIGATING, Status.PENDING_CAPA], Status.CLOSED),
    "cancellation": ([Status.INVESTIGATING], Status.CANCELLED),
    "reopening": ([Status.CANCELLED], Status.INVESTIGATING),
}


def _site_wide_qa(world, **fields):
    fields.setdefault("email", "head.qa@nb.example")
    user = member(world.cdmo, Role.QA, display_name="Hana Head-of-QA", **fields)
    Membership.objects.filter(user=user).update(site_wide_qa=True)
    user.refresh_from_db()
    return user


def _at(world, step: str, *, program: Program | None = None, qa=None) -> Deviation:
    """A deviation of `program` (default: sponsor A's) ready for the signed step, walked there
    by QA of that program."""
    path, _ = SIGNED_STEPS[step]
    deviation = log_deviation(world, program=program or world.program)
    return move(world, deviation, *path, actor=qa or world.qa)


def _body(deviation: Deviation, step: str, password: str) -> dict[str, str]:
    return {
        "to": SIGNED_STEPS[step][1],
        "expected_version": str(deviation.version),
        "reason": "Duplicate of an earlier entry",
        "no_capa_rationale": "One-off; no systemic cause",
        "password": password,
    }


def _refused_signatures(user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_FAILED, actor=user))


def _unchanged(deviation: Deviation) -> bool:
    before = (deviation.status, deviation.version)
    deviation.refresh_from_db()
    return (deviation.status, deviation.version) == before


def test_the_personas_stand_as_operations_staff_and_as_qa_of_sponsor_a_only(world):
    a, b = (Program.objects.get(pk=p.pk) for p in (world.program, world.program_b))
    assert access.capacities(world.staff, a) == {Capacity.CDMO, Capacity.OPERATIONS}
    assert access.capacities(world.qa, a) == {Capacity.CDMO, Capacity.OPERATIONS, Capacity.QA}
    assert access.capacities(world.qa, b) == {Capacity.CDMO, Capacity.OPERATIONS}
    for user in (world.staff, world.qa):
        assert access.may(user, Action.LOG_DEVIATION, b)
        assert access.may(user, Action.START_INVESTIGATION, b)


@pytest.mark.clause("21 CFR 11.10(g)")
@pytest.mark.parametrize("step", SIGNED_STEPS)
def test_operations_staff_are_refused_a_signed_step_on_the_page_and_it_is_audited(
    world, password, step
):
    deviation = _at(world, step)

    response = client_for(world, "staff").post(
        f"/deviations/{deviation.reference}/transition/", _body(deviation, step, password)
    )

    assert response.status_code == 403
    current, target = deviation.get_status_display(), Status(SIGNED_STEPS[step][1]).label
    refusal = lifecycle.ROLE_NOT_ALLOWED.format(current=current, target=target)
    assert refusal in response.content.decode()
    assert _unchanged(deviation)
    assert not Signature.objects.filter(signer=world.staff).exists()
    [audited] = _refused_signatures(world.staff)
    assert audited.reason == f"Not allowed: {refusal}"
    assert audited.object_pk == str(deviation.pk)


@pytest.mark.clause("21 CFR 11.10(g)")
@pytest.mark.parametrize("step", SIGNED_STEPS)
def test_operations_staff_are_refused_a_signed_step_over_the_api_and_it_is_audited(
    world, password, step
):
    deviation = _at(world, step)
    body = _body(deviation, step, password) | {"expected_version": deviation.version}

    response = post_json(
        client_for(world, "staff"), f"/api/v1/deviations/{deviation.reference}/transition/", body
    )

    error = assert_error(response, 403, "permission_denied")
    assert error["message"].startswith("Your role may not move a deviation from")
    assert _unchanged(deviation)
    assert not Signature.objects.filter(signer=world.staff).exists()
    assert len(_refused_signatures(world.staff)) == 1


def test_a_refusal_without_a_password_is_no_signing_attempt_and_writes_nothing(world):
    deviation = _at(world, "closure")
    body = _body(deviation, "closure", "")

    response = client_for(world, "staff").post(
        f"/deviations/{deviation.reference}/transition/", body
    )

    assert response.status_code == 403
    assert _unchanged(deviation)
    assert _refused_signatures(world.staff) == []


def test_the_page_and_the_api_offer_qa_steps_to_qa_only(world):
    deviation = _at(world, "closure")
    url = f"/deviations/{deviation.reference}/"
    assert "Closed (signature)" in client_for(world, "qa").get(url).content.decode()
    staff_page = client_for(world, "staff").get(url).content.decode()
    assert "Closed (signature)" not in staff_page
    assert "Cancelled (signature)" not in staff_page

    def offered(persona: str) -> list[str]:
        api = client_for(world, persona).get(f"/api/v1/deviations/{deviation.reference}/")
        return api.json()["allowed_transitions"]

    assert offered("qa") == [Status.CLOSED, Status.CANCELLED]
    assert offered("staff") == []


def test_operations_staff_keep_investigating_every_program(world):
    deviation = log_deviation(world, program=world.program_b)
    moved = move(world, deviation, Status.INVESTIGATING, actor=world.staff)
    assert moved.status == Status.INVESTIGATING
    response = client_for(world, "staff").post(
        f"/deviations/{deviation.reference}/work/root-cause/",
        {"category": "method", "description": "SOP unclear"},
    )
    assert response.status_code == 302
    assert deviation.root_causes.count() == 1


@pytest.mark.clause("21 CFR 11.10(g)")
@pytest.mark.parametrize("step", SIGNED_STEPS)
def test_qa_of_one_program_is_refused_on_another_unless_site_wide(world, password, step):
    head = _site_wide_qa(world)
    deviation = _at(world, step, program=world.program_b, qa=head)
    body = _body(deviation, step, password)
    url = f"/deviations/{deviation.reference}/transition/"

    refused = client_for(world, "qa").post(url, body)

    assert refused.status_code == 403
    assert _unchanged(deviation)
    assert len(_refused_signatures(world.qa)) == 1
    signed = lifecycle.deviation_transition(
        actor=head,
        deviation=deviation,
        to=body["to"],
        expected_version=deviation.version,
        reason=body["reason"],
        no_capa_rationale=body["no_capa_rationale"],
        password=password,
    )
    assert signed.status == SIGNED_STEPS[step][1]
    assert Signature.objects.filter(object_pk=str(deviation.pk)).last().signer == head


def test_site_wide_qa_signs_on_every_program_without_an_assignment(world, password):
    head = _site_wide_qa(world)
    assert not ProgramMember.objects.filter(user=head).exists()
    for program in (world.program, world.program_b):
        closed = _at(world, "closure", program=program, qa=head)
        closed = move(world, closed, Status.CLOSED, actor=head)
        assert closed.status == Status.CLOSED
    assert Signature.objects.filter(signer=head, meaning="approved").count() == 2


def test_an_ended_qa_assignment_ends_the_right_to_sign(world, password):
    deviation = _at(world, "closure")
    ProgramMember.objects.filter(user=world.qa).update(ended_at=timezone.now())
    with pytest.raises(NotAllowed):
        move(world, deviation, Status.CLOSED, actor=world.qa)
    assert _unchanged(deviation)


def _extension(world, deviation: Deviation, *, by) -> ExtensionRequest:
    return extensions.extension_request(
        actor=by,
        deviation=deviation,
        new_due=deviation.investigation_due + datetime.timedelta(days=10),
        reason="Supplier report late",
    )


def test_operations_staff_are_refused_approving_an_extension_and_it_is_audited(world, password):
    deviation = log_deviation(world)
    extension = _extension(world, deviation, by=world.pm)
    page = client_for(world, "staff").get(f"/deviations/{deviation.reference}/").content.decode()
    assert "Approve and sign" not in page

    response = client_for(world, "staff").post(
        f"/deviations/{deviation.reference}/work/extension-approve/",
        {"extension": extension.pk, "expected_version": "1", "password": password},
    )

    assert response.status_code == 403
    assert extensions.EXTENSION_NOT_QA in response.content.decode()
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING
    assert _unchanged(deviation)
    [audited] = _refused_signatures(world.staff)
    assert audited.reason == f"Not allowed: {extensions.EXTENSION_NOT_QA}"


@pytest.mark.clause("21 CFR 11.10(g)")
def test_the_requester_of_an_extension_is_refused_approving_it_while_another_qa_may(
    world, password
):
    deviation = log_deviation(world)
    extension = _extension(world, deviation, by=world.qa)
    url = f"/deviations/{deviation.reference}/"
    page = client_for(world, "qa").get(url).content.decode()
    assert "Approve and sign" not in page
    assert "You asked for this extension: another QA reviewer approves it." in page

    with pytest.raises(NotAllowed) as own:
        extensions.extension_approve(
            actor=world.qa, extension=extension, expected_version=1, password=password
        )
    assert (own.value.message, own.value.code) == (
        access.EXTENSION_OWN_REQUEST,
        "extension_own_request",
    )
    response = client_for(world, "qa").post(
        f"{url}work/extension-approve/",
        {"extension": extension.pk, "expected_version": "1", "password": password},
    )
    assert response.status_code == 403
    assert "You asked for this extension, so you cannot approve it" in response.content.decode()
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING
    assert _unchanged(deviation)
    assert len(_refused_signatures(world.qa)) == 2
    assert not Signature.objects.exists()

    second = member(world.cdmo, Role.QA, email="second.qa@nb.example")
    ProgramMember.objects.create(program=world.program, user=second, role=ProgramMember.Role.QA)
    second_page = client_for(world, "qa").get(url).content.decode()
    assert "another QA reviewer approves it" in second_page
    approved = extensions.extension_approve(
        actor=second, extension=extension, expected_version=1, password=password
    )
    assert (approved.status, approved.decided_by) == (ExtensionRequest.Status.APPROVED, second)


def test_only_a_qa_member_may_be_qa_across_the_site_or_assigned_as_qa(world):
    staff = Membership.objects.get(user=world.staff)
    staff.site_wide_qa = True
    with pytest.raises(ValidationError) as refused:
        staff.full_clean()
    assert refused.value.message_dict == {"site_wide_qa": [SITE_WIDE_QA_ONLY_FOR_QA]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=staff.pk).update(site_wide_qa=True)

    assignment = ProgramMember(program=world.program, user=world.staff, role="qa")
    with pytest.raises(ValidationError) as not_qa:
        assignment.full_clean()
    assert not_qa.value.message_dict == {"user": [QA_ASSIGNMENT_NEEDS_QA_ROLE]}


@pytest.mark.clause("EU GMP Annex 11 §12.3")
def test_qa_across_the_site_is_granted_in_the_admin_and_audited(world):
    client = superuser_client()
    membership = Membership.objects.get(user=world.qa)

    post_form(client, admin_url(User, "change", world.qa.pk), **{"membership-0-site_wide_qa": "on"})

    (entry,) = AuditEntry.objects.filter(model="portal.membership", action="update")
    assert entry.object_pk == str(membership.pk)
    assert entry.changes == {"site_wide_qa": [False, True]}
    world.qa.refresh_from_db()
    program_b = Program.objects.get(pk=world.program_b.pk)
    assert Capacity.QA in access.capacities(world.qa, program_b)


def test_the_admin_refuses_qa_powers_to_operations_staff_and_writes_nothing(world):
    client = superuser_client()
    url = admin_url(User, "change", world.staff.pk)
    data = {**form_data(client.get(url)), "membership-0-site_wide_qa": "on"}

    response = client.post(url, data)

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.errors[0]["site_wide_qa"] == [SITE_WIDE_QA_ONLY_FOR_QA]
    add = admin_url(ProgramMember, "add")
    assignment = {**form_data(client.get(add)), "program": str(world.program.pk)}
    assignment |= {"user": str(world.staff.pk), "role": "qa"}
    refused = client.post(add, assignment)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["user"] == [QA_ASSIGNMENT_NEEDS_QA_ROLE]
    assert not Membership.objects.get(user=world.staff).site_wide_qa
    assert not ProgramMember.objects.filter(user=world.staff).exists()
    assert not AuditEntry.objects.filter(model__in=["portal.membership", "programs.programmember"])


def test_qa_assigned_to_a_program_in_the_admin_signs_there(world, password):
    second = member(world.cdmo, Role.QA, email="second.qa@nb.example")
    program_b = Program.objects.get(pk=world.program_b.pk)
    assert Capacity.QA not in access.capacities(second, program_b)

    post_form(
        superuser_client(),
        admin_url(ProgramMember, "add"),
        program=str(world.program_b.pk),
        user=str(second.pk),
        role="qa",
    )

    (created,) = AuditEntry.objects.filter(model="programs.programmember", action="create")
    assert created.changes["role"] == [None, "qa"]
    program_b = Program.objects.get(pk=world.program_b.pk)
    assert Capacity.QA in access.capacities(second, program_b)
    cancelled = move(
        world, log_deviation(world, program=world.program_b), "cancelled", actor=second
    )
    assert cancelled.status == Status.CANCELLED
