"""Who may do what. Every role check in views, API views and services comes from here.

Visibility (which rows a user may see at all) is the job of the `visible_to` querysets;
this module answers the next question: given a row the user can see, may they change it?
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.models import Membership

if TYPE_CHECKING:
    from portal.models import User

Role = Membership.Role


def membership(user: Any) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "membership", None)


def is_cdmo(user: Any) -> bool:
    m = membership(user)
    return m is not None and m.is_cdmo


def is_sponsor(user: Any) -> bool:
    m = membership(user)
    return m is not None and m.is_sponsor


def is_sponsor_lead(user: Any) -> bool:
    m = membership(user)
    return m is not None and m.role == Role.SPONSOR_LEAD


def is_leadership(user: Any) -> bool:
    m = membership(user)
    return m is not None and m.role == Role.LEADERSHIP


def sees_internal(user: Any) -> bool:
    """Internal (CDMO-only) items are never shown to sponsor users."""
    return is_cdmo(user)


def is_program_team(user: User, program: Any) -> bool:
    """A CDMO user embedded in this program (any active program role), or leadership."""
    if is_leadership(user):
        return True
    if not is_cdmo(user):
        return False
    return any(m.user_id == user.pk for m in program.active_members)


def can_post_update(user: User, program: Any) -> bool:
    return is_program_team(user, program)


def can_manage_tokens(user: Any) -> bool:
    return is_sponsor_lead(user)


def can_edit_program(user: User, program: Any) -> bool:
    """Timeline, kick-off, meetings, risks and costs are edited by the program's CDMO team."""
    return is_program_team(user, program)


def can_decide_change_order(user: Any, program: Any) -> bool:
    """Only a lead of the program's own sponsor approves or rejects a change order."""
    m = membership(user)
    return m is not None and m.role == Role.SPONSOR_LEAD and m.organisation_id == program.sponsor_id


def can_comment(user: Any, program: Any) -> bool:
    """Anyone who can see the program may comment or ask; visibility is the selectors' job."""
    return membership(user) is not None


def can_answer_question(user: User, program: Any) -> bool:
    return is_program_team(user, program)


def can_confirm_kickoff(user: User, program: Any) -> bool:
    """Kick-off agreements are confirmed, and the kick-off completed, by the program's dedicated
    PM (or CDMO leadership): completing it freezes the baselines."""
    if is_leadership(user):
        return True
    pm = program.dedicated_pm
    return is_cdmo(user) and pm is not None and pm.user_id == user.pk


def can_complete_action_item(user: User, item: Any) -> bool:
    """The action item's owner, whichever side they are on, or the program's CDMO team."""
    if membership(user) is not None and item.owner_id == user.pk:
        return True
    return is_program_team(user, item.program)


def can_ask_question(user: Any, program: Any) -> bool:
    """Questions are the sponsor's: the CDMO answers them, so only the program's own sponsor
    users may ask one."""
    m = membership(user)
    return m is not None and m.is_sponsor and m.organisation_id == program.sponsor_id


def can_post_internal_note(user: Any, program: Any) -> bool:
    """CDMO users may keep a note from the sponsor; a sponsor user's comment is always shared."""
    return is_cdmo(user)


def can_see_read_receipts(user: User, program: Any) -> bool:
    """The program team sees who of the sponsor has read an update; sponsors never see
    each other's receipts."""
    return is_program_team(user, program)


def is_qa(user: Any) -> bool:
    """CDMO quality assurance: the staff role. QA triages, investigates and closes deviations
    for every program of the site."""
    m = membership(user)
    return m is not None and m.role == Role.STAFF


def can_log_deviation(user: User, program: Any) -> bool:
    """The program's CDMO team, or QA, records a deviation the moment it is known."""
    return is_program_team(user, program) or is_qa(user)


def can_acknowledge_deviation(user: Any, program: Any) -> bool:
    """A user of the program's own sponsor confirms they were told."""
    m = membership(user)
    return m is not None and m.is_sponsor and m.organisation_id == program.sponsor_id
