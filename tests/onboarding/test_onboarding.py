"""Onboarding in the portal: a CDMO administrator creates a sponsor, its program, the PM and
the team; a PM change is the one handover whichever screen made it; bad input shows inline
and changes nothing; every step is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from onboarding import services
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry, Membership, Organisation
from programs.models import Event, Program, ProgramMember
from programs.services.members import NOT_CDMO_PERSON, NOT_SPONSOR_PERSON
from tests.factories import member
from tests.support.admin import admin_url, form_data, superuser_client
from tests.support.permissions import database_state
from tests.support.queries import count_queries
from tests.support.world import client_for

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_sponsor_and_it_is_audited(world):
    client = client_for(world, "leader")
    response = client.post(
        reverse("onboarding-sponsor-new"),
        {
            "name": " Orion Bio ",
            "slug": "orion",
            "email_domains": "@Orion.example, orion-bio.example orion.example",
            "mfa_required": "on",
            "reason": "Contract signed",
        },
    )

    assert response.status_code == 302
    orion = Organisation.objects.get(slug="orion")
    assert (orion.name, orion.kind, orion.mfa_required) == ("Orion Bio", "sponsor", True)
    assert orion.email_domains == "orion.example orion-bio.example"
    entry = AuditEntry.objects.get(model="portal.organisation", object_pk=str(orion.pk))
    assert (entry.action, entry.actor, entry.reason) == ("create", world.leader, "Contract signed")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "helix", "slug": "orion"}, "name", services.NAME_TAKEN),
        ({"name": "Orion", "slug": "borealis"}, "slug", services.SLUG_TAKEN),
        (
            {"name": "Orion", "slug": "orion", "email_domains": "orion..example"},
            "email_domains",
            services.DOMAIN_MALFORMED.format(domain="orion..example"),
        ),
        ({"name": "Orion", "slug": "Not a slug!"}, "slug", None),
        ({"name": "", "slug": "orion"}, "name", None),
    ],
)
def test_bad_sponsor_input_is_shown_inline_and_changes_nothing(world, data, field, message):
    client = client_for(world, "leader")
    client.get(reverse("onboarding-sponsors"))  # the session's first touch is not the test's
    before = database_state()

    response = client.post(reverse("onboarding-sponsor-new"), data)

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors
    if message is not None:
        assert errors[field] == [message]
    assert database_state() == before


def test_editing_a_sponsor_is_audited_as_a_diff(world):
    client = client_for(world, "leader")
    response = client.post(
        reverse("onboarding-sponsor-edit", kwargs={"slug": "helix"}),
        {"name": "Helix Therapeutics", "slug": "helix", "reason": "Renamed"},
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(model="portal.organisation", action="update")
    assert entry.changes["name"] == ["Helix", "Helix Therapeutics"]
    assert entry.reason == "Renamed"


def test_only_cdmo_administrators_may_onboard(world):
    for actor in (world.staff, world.pm, world.qa, world.lead_a):
        with pytest.raises(NotAllowed):
            services.organisation_create(actor=actor, name="Orion", slug="orion")
        with pytest.raises(NotAllowed):
            services.team_member_add(
                actor=actor, program=world.program, user=world.staff, role="dedicated_pm"
            )
    assert not Organisation.objects.filter(slug="orion").exists()


def test_an_administrator_creates_a_program_for_a_sponsor(world):
    client = client_for(world, "leader")
    response = client.post(
        reverse("onboarding-program-new", kwargs={"slug": "helix"}),
        {"code": "HLX-202", "name": "Helix bispecific", "phase": "phase_1", "reason": "SOW 2"},
    )

    assert response["Location"] == reverse("onboarding-team", kwargs={"code": "HLX-202"})
    program = Program.objects.get(code="HLX-202")
    assert program.sponsor == world.sponsor_a
    assert Event.objects.filter(program=program, verb="program.created").exists()
    assert AuditEntry.objects.filter(model="programs.program", program_id=program.pk).exists()


def test_a_duplicate_program_code_is_an_inline_error(world):
    client = client_for(world, "leader")
    response = client.post(
        reverse("onboarding-program-new", kwargs={"slug": "helix"}),
        {"code": "BOR-017", "name": "Clash", "phase": "phase_1"},
    )
    assert response.status_code == 422
    assert "code" in response.context["form"].errors
    assert Program.objects.filter(code="BOR-017").count() == 1


def test_changing_the_pm_on_the_portal_page_is_the_handover(world):
    successor = member(world.cdmo, Membership.Role.PM, display_name="Sam Successor")
    client = client_for(world, "leader")

    response = client.post(
        reverse("onboarding-team", kwargs={"code": "HLX-101"}),
        {"user": successor.pk, "role": "dedicated_pm", "reason": "Pat moves to BOR"},
    )

    assert response.status_code == 302
    handover = Event.objects.get(program=world.program, verb="member.handover")
    assert handover.summary == "Dedicated PM handed over from Pat Manager to Sam Successor"
    ended, created = AuditEntry.objects.filter(model="programs.programmember").order_by("id")
    assert ended.changes["ended_at"][0] is None
    assert created.changes["user_id"] == [None, successor.pk]
    assert created.actor == world.leader
    assert created.reason == "Pat moves to BOR"
    assert [
        m.user
        for m in ProgramMember.objects.active().filter(role="dedicated_pm", program=world.program)
    ] == [successor]


def test_changing_the_pm_in_the_admin_is_the_same_handover(world):
    successor = member(world.cdmo, Membership.Role.PM, display_name="Sam Successor")
    client = superuser_client()
    url = admin_url(ProgramMember, "add")
    data = {
        **form_data(client.get(url)),
        "program": str(world.program.pk),
        "user": str(successor.pk),
        "role": "dedicated_pm",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    assert Event.objects.get(verb="member.handover").summary.endswith("to Sam Successor")
    assert AuditEntry.objects.filter(model="programs.programmember", action="create").exists()


@pytest.mark.parametrize(
    ("persona", "role", "message"),
    [
        ("lead_a", "dedicated_pm", NOT_CDMO_PERSON),
        ("lead_a", "cdmo_executive", NOT_CDMO_PERSON),
        ("lead_b", "sponsor_contact", None),  # another sponsor's people are not offered
        ("staff", "sponsor_executive", NOT_SPONSOR_PERSON),
    ],
)
def test_a_person_takes_only_a_role_on_their_side(world, persona, role, message):
    client = client_for(world, "leader")
    client.get(reverse("onboarding-sponsors"))
    before = database_state()

    response = client.post(
        reverse("onboarding-team", kwargs={"code": "HLX-101"}),
        {"user": getattr(world, persona).pk, "role": role},
    )

    assert response.status_code == 422
    assert "user" in response.context["form"].errors
    if message is not None:
        assert response.context["form"].errors["user"] == [message]
    assert database_state() == before


def test_the_admin_refuses_a_sponsor_user_as_pm_inline(world):
    client = superuser_client()
    url = admin_url(ProgramMember, "add")
    data = {
        **form_data(client.get(url)),
        "program": str(world.program.pk),
        "user": str(world.lead_a.pk),
        "role": "dedicated_pm",
    }

    response = client.post(url, data)

    assert response.status_code == 200
    assert NOT_CDMO_PERSON in response.context["adminform"].form.errors["user"]
    assert not Event.objects.filter(verb="member.handover").exists()


def test_qa_on_a_program_needs_the_qa_membership(world):
    client = client_for(world, "leader")
    response = client.post(
        reverse("onboarding-team", kwargs={"code": "HLX-101"}),
        {"user": world.staff.pk, "role": "qa"},
    )
    assert response.status_code == 422
    assert "user" in response.context["form"].errors
    assert not ProgramMember.objects.filter(user=world.staff, role="qa").exists()


def test_adding_and_ending_a_sponsor_contact(world):
    client = client_for(world, "leader")
    team = reverse("onboarding-team", kwargs={"code": "HLX-101"})
    client.post(team, {"user": world.viewer_a.pk, "role": "sponsor_contact"})
    assert Event.objects.filter(verb="member.assigned", program=world.program).exists()

    end = reverse(
        "onboarding-tenure-end",
        kwargs={"code": "HLX-101", "user_id": world.viewer_a.pk, "role": "sponsor_contact"},
    )
    response = client.post(end, {"reason": "Left Helix"})

    assert response.status_code == 302
    assert not ProgramMember.objects.active().filter(user=world.viewer_a).exists()
    assert Event.objects.filter(verb="member.left", program=world.program).exists()
    assert AuditEntry.objects.filter(model="programs.programmember", reason="Left Helix").exists()
    assert client.post(end, {"reason": "again"}).status_code == 404


def test_ending_a_tenure_twice_in_the_service_is_refused(world):
    tenure = ProgramMember.objects.get(program=world.program, user=world.qa)
    services.team_member_end(actor=world.leader, member=tenure)
    tenure.refresh_from_db()
    with pytest.raises(Invalid):
        services.team_member_end(actor=world.leader, member=tenure)


def test_the_sponsor_list_has_a_query_budget(world):
    client = client_for(world, "leader")
    url = reverse("onboarding-sponsors")
    baseline = count_queries(client, url, warm_up=True)
    for n in range(3):
        sponsor = Organisation.objects.create(name=f"S{n}", slug=f"s{n}", kind="sponsor")
        program = Program.objects.create(
            sponsor=sponsor, code=f"SP-{n}0", name="P", phase="phase_1"
        )
        ProgramMember.objects.create(program=program, user=world.pm, role="dedicated_pm")

    assert count_queries(client, url) == baseline
    assert baseline <= 8
