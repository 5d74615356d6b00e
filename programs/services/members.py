"""The people of a program. Ended tenures are kept: they are the program's history, and a
change of dedicated PM is a handover that the stream records whichever screen made it (the
portal, the admin site, the demo seed)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from portal import bounds
from portal.access import Audience
from portal.errors import Invalid
from portal.models import Membership, Organisation, User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program, ProgramMember

RANK_UNKNOWN = "Rank is primary, backup or empty."
ENDED_BEFORE_START = "A tenure cannot end before it started."
NOT_CDMO_PERSON = "Only the CDMO's own people take a CDMO role on a program."
NOT_SPONSOR_PERSON = "Only people of this program's sponsor take a sponsor role on it."
SPONSOR_SIDE = frozenset({ProgramMember.Role.SPONSOR_CONTACT, ProgramMember.Role.SPONSOR_EXECUTIVE})
TENURE_ENDED = (
    "This tenure has ended and stays ended: assign the person again for a new one "
    "(for a dedicated PM, a handover)."
)


def check_side(program: Program, user: User, role: str) -> None:
    """A sponsor's user never takes a CDMO role on a program, a CDMO user never a sponsor's,
    and a sponsor role is for this program's own sponsor. A workstream has an owner on each
    side, so that role takes either the CDMO's people or this sponsor's."""
    membership = Membership.objects.filter(user=user).select_related("organisation").first()
    organisation = membership.organisation if membership is not None else None
    cdmo = organisation is not None and organisation.kind == Organisation.Kind.CDMO
    own_sponsor = organisation is not None and organisation.pk == program.sponsor_id
    if role in SPONSOR_SIDE and not own_sponsor:
        raise Invalid(NOT_SPONSOR_PERSON, field="user")
    if role == ProgramMember.Role.WORKSTREAM_OWNER and not (cdmo or own_sponsor):
        raise Invalid(NOT_SPONSOR_PERSON, field="user")
    if role not in SPONSOR_SIDE and role != ProgramMember.Role.WORKSTREAM_OWNER and not cdmo:
        raise Invalid(NOT_CDMO_PERSON, field="user")


@atomic_service
def program_member_assign(
    *,
    actor: User | None,
    program: Program,
    user: User,
    role: str,
    rank: str = "",
    reason: str = "",
) -> ProgramMember:
    """Put a person on the program. A new dedicated PM ends the previous one's tenure and the
    stream records the handover, so the history reads continuously across staff changes.
    Assigning someone already in that role returns their current tenure unchanged."""
    check_side(program, user, role)
    locked = changes.lock_program(program.pk)
    current = ProgramMember.objects.filter(
        program=locked, user=user, role=role, ended_at__isnull=True
    ).first()
    if current is not None:
        return current
    predecessors = []
    if role == ProgramMember.Role.DEDICATED_PM:
        previous_pms = (
            ProgramMember.objects.select_for_update()
            .filter(program=locked, role=role, ended_at__isnull=True)
            .select_related("user")
        )
        for previous in previous_pms:
            changes.update(
                previous,
                actor=actor,
                program=locked,
                values={"ended_at": timezone.now()},
                reason="Handed over to a new dedicated PM.",
            )
            predecessors.append(previous.user.display_name)
    member = ProgramMember(program=locked, user=user, role=role, rank=rank)
    handover = bool(predecessors)
    summary = (
        f"Dedicated PM handed over from {', '.join(predecessors)} to {user.display_name}"
        if handover
        else f"{user.display_name} joined as {member.get_role_display().lower()}"
    )
    changes.create(
        member,
        actor=actor,
        program=locked,
        reason=reason,
        note=changes.Note(
            verb="member.handover" if handover else "member.assigned",
            summary=summary,
            audience=Audience.SPONSOR,
            significance="notable" if handover else "info",
        ),
    )
    program.forget_members()
    return member


@atomic_service
def program_member_update(
    *,
    actor: User | None,
    member: ProgramMember,
    rank: str,
    ended_at: datetime.datetime | None,
    reason: str = "",
) -> ProgramMember:
    """Change a tenure's rank or end it (someone leaves the program). Who and in which role
    never change: a different person or role is a new assignment, with its own history. An
    ended tenure is not reopened: that would put a PM back without the handover."""
    if rank not in ("", *ProgramMember.Rank.values):
        raise Invalid(RANK_UNKNOWN, field="rank")
    bounds.check(ended_at=ended_at)
    program = changes.lock_program(member.program_id)
    member = ProgramMember.objects.select_for_update().select_related("user").get(pk=member.pk)
    if member.ended_at is not None and ended_at != member.ended_at:
        raise Invalid(TENURE_ENDED, field="ended_at")
    if ended_at is not None and ended_at < member.started_at:
        raise Invalid(ENDED_BEFORE_START, field="ended_at")
    leaves = ended_at is not None and member.ended_at is None
    changes.update(
        member,
        actor=actor,
        program=program,
        values={"rank": rank, "ended_at": ended_at},
        reason=reason,
        note=changes.Note(
            verb="member.left",
            summary=f"{member.user.display_name} left the program "
            f"({member.get_role_display().lower()})",
            audience=Audience.SPONSOR,
        )
        if leaves
        else None,
    )
    return member
