"""What the onboarding pages read: sponsors with their programs and current people. CDMO
administrators only; anyone else finds nothing (a 404)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from portal import access
from portal.models import Organisation, User
from programs.models import Program, ProgramMember
from programs.selectors import with_people


def require_admin(user: User) -> None:
    if not access.is_cdmo_admin(user):
        raise Http404("No such page.")


def sponsor_list(*, user: User) -> QuerySet[Organisation]:
    """Every sponsor with its programs and their current people (three queries in all)."""
    require_admin(user)
    programs = with_people(Program.objects.order_by("code"))
    return Organisation.objects.filter(kind=Organisation.Kind.SPONSOR).prefetch_related(
        Prefetch("programs", queryset=programs)
    )


def get_sponsor(*, user: User, slug: str) -> Organisation:
    require_admin(user)
    found = Organisation.objects.filter(kind=Organisation.Kind.SPONSOR, slug=slug).first()
    if found is None:
        raise Http404("No such sponsor.")
    return found


def get_program(*, user: User, code: str) -> Program:
    require_admin(user)
    found = with_people(Program.objects.filter(code=code)).first()
    if found is None:
        raise Http404("No such program.")
    return found


def get_tenure(*, user: User, program: Program, user_id: int, role: str) -> ProgramMember:
    require_admin(user)
    found = (
        ProgramMember.objects.active().filter(program=program, user_id=user_id, role=role).first()
    )
    if found is None:
        raise Http404("No such person on the program.")
    return found


def team_candidates(program: Program) -> QuerySet[User]:
    """Active people who may join this program: the CDMO's, and its own sponsor's."""
    return User.objects.filter(
        Q(membership__organisation__kind=Organisation.Kind.CDMO)
        | Q(membership__organisation_id=program.sponsor_id),
        is_active=True,
    ).order_by("display_name")


def agreement_sponsor(*, user: User, slug: str) -> Organisation:
    """A sponsor whose quality agreement the user may read: the CDMO reads every sponsor's, a
    sponsor's people their own; another sponsor's is a 404."""
    sponsors = Organisation.objects.filter(kind=Organisation.Kind.SPONSOR, slug=slug)
    if not access.is_cdmo(user):
        membership = getattr(user, "membership", None)
        if membership is None:
            raise Http404("No such sponsor.")
        sponsors = sponsors.filter(pk=membership.organisation_id)
    found = sponsors.first()
    if found is None:
        raise Http404("No such sponsor.")
    return found
