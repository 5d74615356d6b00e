"""The one door: what a user may see, and what they may do with what they see.

Every selector, view, API view, export, feed, notification and the live stream asks this module;
no other module looks at a membership to decide access.

Seeing has two rules, applied together:

- **tenancy**: CDMO users see every sponsor's programs; a sponsor's users see their own
  sponsor's programs and nothing else (another sponsor's record is a 404, never a 403). A
  sponsor user may be granted only some of their sponsor's programs (`Viewer.program_ids`,
  from the membership's grants): another program of their own sponsor is then a 404 too.
  Sponsor-level records (a quality agreement, the organisation's people) stay
  organisation-wide; CDMO users are never restricted;
- **audience**: a record a sponsor could see carries an audience, `sponsor` (both sides) or
  `internal` (CDMO only). A sponsor user never sees an internal record.

`scope()` applies both to a queryset (the `visible_to` querysets delegate to it) and `may_see()`
applies the same rule to a live message, so pages, API, exports and the stream cannot disagree.

Doing is a table: each `Action` lists the `Capacity`s that allow it, and `capacities()` says in
which capacities a user stands towards one program (and, for owner-only actions, one record).
A second, smaller table, `BARS`, says who may not take an action on one record whatever their
capacities (segregation of duties: the requester of an extension does not approve it).

QA is a role of its own (issue 9): only QA signs a deviation's closure, cancellation, reopening
and extension approvals, and only on the programs where it is assigned as QA, or on every
program when its membership is QA across the site. Operations staff (`staff`) investigate
every program's deviations but sign none of QA's decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from portal import account_state, clock
from portal.errors import NotAllowed
from portal.models import Delegation, Membership

Role = Membership.Role
M = TypeVar("M", bound=models.Model)

NOT_ALLOWED = "You are not allowed to do that."
EXTENSION_OWN_REQUEST = (
    "You asked for this extension, so you cannot approve it: another QA reviewer decides it."
)


class Audience(models.TextChoices):
    """Who may see an item: both sides, or the CDMO only. New records default to internal
    (fail closed): sharing with the sponsor is an explicit, audited step."""

    SPONSOR = "sponsor", "Sponsor and CDMO"
    INTERNAL = "internal", "CDMO internal"


@dataclass(frozen=True)
class Viewer:
    """Who is asking, reduced to what access depends on. Cheap to keep for a stream's life."""

    user_id: int
    organisation_id: int
    role: str
    site_wide_qa: bool = False
    program_ids: frozenset[int] | None = None
    """The programs this viewer may see within tenancy; None: all. A sponsor user's program
    grants (`Membership.programs`) narrowed by an API token's restriction to programs
    (`portal.api.authentication`), which applies to a CDMO user's token too."""

    def sees_program(self, program_id: int | None) -> bool:
        """Whether the program limits admit `program_id` (None: a sponsor-level record)."""
        return self.program_ids is None or program_id is None or program_id in self.program_ids

    @property
    def is_cdmo(self) -> bool:
        return self.role in Membership.CDMO_ROLES

    @property
    def is_sponsor(self) -> bool:
        return self.role in Membership.SPONSOR_ROLES

    @property
    def sees_internal(self) -> bool:
        return self.is_cdmo


def viewer(user: Any) -> Viewer | None:
    """The viewer behind a user; None for anonymous users and users without a membership
    (the superuser of `/admin/` sees no portal data)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    membership = getattr(user, "membership", None)
    if membership is None:
        return None
    granted = None if membership.is_cdmo else membership.granted_program_ids()
    return Viewer(
        user_id=user.pk,
        organisation_id=membership.organisation_id,
        role=membership.role,
        site_wide_qa=membership.site_wide_qa,
        program_ids=narrowed(granted, getattr(user, "token_program_ids", None)),
    )


def narrowed(*limits: frozenset[int] | None) -> frozenset[int] | None:
    """The programs every limit admits (None in a limit: no limit), e.g. the membership's
    grants and a token's restriction together."""
    result: frozenset[int] | None = None
    for limit in limits:
        if limit is not None:
            result = limit if result is None else result & limit
    return result


def program_grant_q(program_id: int, prefix: str = "") -> Q:
    """The users (through `prefix`, e.g. "user__") whose program grants admit the program:
    the query twin of `Viewer.sees_program`, for pages and notifications that list people."""
    return Q(**{f"{prefix}membership__all_programs": True}) | Q(
        **{f"{prefix}membership__programs": program_id}
    )


# --- Seeing ---------------------------------------------------------------------------------


def audiences(who: Viewer) -> frozenset[str]:
    """The audiences a viewer may read."""
    if who.sees_internal:
        return frozenset(Audience.values)
    return frozenset({Audience.SPONSOR.value})


def may_see(
    who: Viewer | None,
    *,
    sponsor_id: int,
    audience: str | None = None,
    program_id: int | None = None,
) -> bool:
    """The rule of `scope()` for one record already in memory (a live message, a row).
    `program_id` names the record's program; None for a sponsor-level record."""
    if who is None:
        return False
    if not who.is_cdmo and sponsor_id != who.organisation_id:
        return False
    if not who.sees_program(program_id):
        return False
    return audience is None or audience in audiences(who)


def _program_path(queryset: QuerySet[Any], sponsor_path: str) -> str | None:
    """The path from the model to its program's id, read off `sponsor_path`: the program itself
    (`sponsor_id` on a Program), or `<path>__sponsor_id` → `<path>__id`. None for a record of
    the sponsor as a whole (a quality agreement), which no program restriction narrows."""
    if queryset.model._meta.label == "programs.Program":
        return "pk"
    prefix, _, last = sponsor_path.rpartition("__")
    return f"{prefix}__id" if prefix and last == "sponsor_id" else None


def scope(
    queryset: QuerySet[M],
    user: Any,
    *,
    sponsor_path: str,
    audience_field: str | None = None,
    program_path: str | None = None,
) -> QuerySet[M]:
    """The rows of `queryset` that `user` may see. `sponsor_path` leads from the model to the
    sponsor organisation's id (e.g. `program__sponsor_id`); `audience_field` names the audience
    column of models that carry one. `program_path` leads to the program's id for the viewer's
    program limits (grants, a token's restriction); by default it is derived from `sponsor_path`
    (`_program_path`), and a sponsor-level record stays organisation-wide."""
    who = viewer(user)
    if who is None:
        return queryset.none()
    if not who.is_cdmo:
        queryset = queryset.filter(**{sponsor_path: who.organisation_id})
    if audience_field is not None and not who.sees_internal:
        queryset = queryset.filter(**{f"{audience_field}__in": sorted(audiences(who))})
    program_path = program_path or _program_path(queryset, sponsor_path)
    if who.program_ids is not None and program_path is not None:
        queryset = queryset.filter(**{f"{program_path}__in": sorted(who.program_ids)})
    return queryset


def sees_internal(user: Any) -> bool:
    who = viewer(user)
    return who is not None and who.sees_internal


def is_cdmo(user: Any) -> bool:
    who = viewer(user)
    return who is not None and who.is_cdmo


def is_sponsor(user: Any) -> bool:
    who = viewer(user)
    return who is not None and who.is_sponsor


def is_leadership(user: Any) -> bool:
    who = viewer(user)
    return who is not None and who.role == Role.LEADERSHIP


def is_cdmo_admin(user: Any) -> bool:
    """A CDMO administrator: onboards sponsors, manages the CDMO's own people and keeps the site
    calendar. CDMO leadership holds the role; no other membership does."""
    return is_leadership(user)


# --- Doing ----------------------------------------------------------------------------------


class Capacity(StrEnum):
    """How a user stands towards one program (and possibly one of its records)."""

    SPONSOR = "sponsor"  # a user of the program's own sponsor
    SPONSOR_LEAD = "sponsor_lead"  # that sponsor's lead
    CDMO = "cdmo"  # any CDMO user
    TEAM = "team"  # on the program's CDMO team (an active member), or leadership
    PM = "pm"  # the program's dedicated PM
    LEADERSHIP = "leadership"
    OPERATIONS = "operations"  # CDMO operations or QA staff, for every program of the site
    QA = "qa"  # QA of this program: assigned to it as QA, or QA across the site
    OWNER = "owner"  # owns the record in question (an action item's owner)


class Action(StrEnum):
    """Everything a user can do to a program or its records."""

    EDIT_PROGRAM = "edit_program"  # timeline, kick-off, meetings, risks, costs
    POST_UPDATE = "post_update"
    OVERRIDE_HEALTH = "override_health"
    SHARE = "share"  # publish an internal record to the sponsor
    DECIDE_CHANGE_ORDER = "decide_change_order"
    COMMENT = "comment"
    ASK_QUESTION = "ask_question"
    ANSWER_QUESTION = "answer_question"
    POST_INTERNAL_NOTE = "post_internal_note"
    SEE_READ_RECEIPTS = "see_read_receipts"
    CONFIRM_KICKOFF = "confirm_kickoff"
    COMPLETE_ACTION_ITEM = "complete_action_item"
    LOG_DEVIATION = "log_deviation"
    EDIT_DEVIATION = "edit_deviation"
    ACKNOWLEDGE_DEVIATION = "acknowledge_deviation"
    START_INVESTIGATION = "start_investigation"
    QA_DECIDE = "qa_decide"  # QA's moves: to pending CAPA, closure, cancellation, reopening
    DECIDE_EXTENSION = "decide_extension"  # approve an extension of an investigation, signed
    COMPLETE_CAPA = "complete_capa"  # mark a CAPA action done: its owner, QA or the team
    EDIT_ESCALATION_PATH = "edit_escalation_path"  # the program's path (the site's: leadership)
    RAISE_ISSUE = "raise_issue"  # the CDMO team raises an issue on its program's path
    RAISE_CONCERN = "raise_concern"  # a sponsor's user goes straight to the CDMO's leadership
    ESCALATION_ACT = "escalation_act"  # acknowledge, assign, resolve: leadership's room
    EXPORT_BUNDLE = "export_bundle"  # the inspection bundle of a program (outcomes.bundle)
    RECORD_BATCH = "record_batch"  # plan a batch, record its start, delivery and rework
    DECIDE_BATCH = "decide_batch"  # release or reject a batch, signed: QA of the program


C = Capacity

# The one table of permissions. An action not listed for any of a user's capacities is refused.
RULES: Mapping[Action, frozenset[Capacity]] = {
    Action.EDIT_PROGRAM: frozenset({C.TEAM}),
    Action.POST_UPDATE: frozenset({C.TEAM}),
    Action.OVERRIDE_HEALTH: frozenset({C.TEAM}),
    Action.SHARE: frozenset({C.TEAM}),
    Action.DECIDE_CHANGE_ORDER: frozenset({C.SPONSOR_LEAD}),
    Action.COMMENT: frozenset({C.SPONSOR, C.CDMO}),
    Action.ASK_QUESTION: frozenset({C.SPONSOR}),
    Action.ANSWER_QUESTION: frozenset({C.TEAM}),
    Action.POST_INTERNAL_NOTE: frozenset({C.CDMO}),
    Action.SEE_READ_RECEIPTS: frozenset({C.TEAM}),
    Action.CONFIRM_KICKOFF: frozenset({C.PM, C.LEADERSHIP}),
    Action.COMPLETE_ACTION_ITEM: frozenset({C.TEAM, C.OWNER}),
    Action.LOG_DEVIATION: frozenset({C.TEAM, C.OPERATIONS, C.QA}),
    Action.EDIT_DEVIATION: frozenset({C.TEAM, C.OPERATIONS, C.QA}),
    Action.ACKNOWLEDGE_DEVIATION: frozenset({C.SPONSOR}),
    Action.START_INVESTIGATION: frozenset({C.TEAM, C.OPERATIONS, C.QA}),
    Action.QA_DECIDE: frozenset({C.QA}),
    Action.DECIDE_EXTENSION: frozenset({C.QA}),
    Action.COMPLETE_CAPA: frozenset({C.TEAM, C.OPERATIONS, C.QA, C.OWNER}),
    Action.EDIT_ESCALATION_PATH: frozenset({C.PM, C.LEADERSHIP}),
    Action.RAISE_ISSUE: frozenset({C.TEAM}),
    Action.RAISE_CONCERN: frozenset({C.SPONSOR}),
    Action.ESCALATION_ACT: frozenset({C.LEADERSHIP}),
    # Handing the record to an inspector: the sponsor's lead, the program's QA, its dedicated PM
    # and leadership; not a sponsor viewer, not operations staff (docs/inspection-bundle.md).
    Action.EXPORT_BUNDLE: frozenset({C.SPONSOR_LEAD, C.QA, C.PM, C.LEADERSHIP}),
    Action.RECORD_BATCH: frozenset({C.TEAM, C.OPERATIONS, C.QA}),
    Action.DECIDE_BATCH: frozenset({C.QA}),
}


@dataclass(frozen=True)
class Bar:
    """Who may not take an action on one record, whatever capacities they hold: the person
    the record's `field` names (a user id), refused with `message` and the error `code`."""

    field: str
    message: str
    code: str


# The one table of segregation of duties: an action listed here is refused to the person the
# record names, even when the table above allows it to their capacities.
BARS: Mapping[Action, tuple[Bar, ...]] = {
    Action.DECIDE_EXTENSION: (
        Bar(field="requested_by_id", message=EXTENSION_OWN_REQUEST, code="extension_own_request"),
    ),
}


def capacities(user: Any, program: Any, obj: Any = None) -> frozenset[Capacity]:
    """The capacities in which `user` stands towards `program` (a Program, with its active
    members prefetched by the selectors) and, if given, `obj` (a record with `owner_id`)."""
    who = viewer(user)
    if who is None:
        return frozenset()
    held: set[Capacity] = set()
    if (
        who.is_sponsor
        and who.organisation_id == program.sponsor_id
        and who.sees_program(program.pk)
    ):
        held.add(C.SPONSOR)
        if who.role == Role.SPONSOR_LEAD:
            held.add(C.SPONSOR_LEAD)
    if who.is_cdmo:
        held.add(C.CDMO)
        if who.role == Role.LEADERSHIP:
            held |= {C.LEADERSHIP, C.TEAM}
        if who.role in (Role.STAFF, Role.QA):
            held.add(C.OPERATIONS)
        if who.role == Role.QA and who.site_wide_qa:
            held.add(C.QA)
        for member in program.active_members:
            if member.user_id != who.user_id:
                continue
            if member.role == "qa":  # ProgramMember.Role.QA: QA here, not the program team
                if who.role == Role.QA:
                    held.add(C.QA)
                continue
            held.add(C.TEAM)
            if member.role == "dedicated_pm":
                held.add(C.PM)
    if obj is not None and getattr(obj, "owner_id", None) == who.user_id:
        held.add(C.OWNER)
    return frozenset(held)


def allows(held: Iterable[Capacity], action: Action) -> bool:
    return not RULES[action].isdisjoint(held)


def bar(user_id: int | None, action: Action, obj: Any = None) -> Bar | None:
    """The bar of `BARS` that refuses `action` on `obj` to the user, if one does."""
    if user_id is None or obj is None:
        return None
    return next((b for b in BARS.get(action, ()) if getattr(obj, b.field, None) == user_id), None)


def refusal(user: Any, action: Action, program: Any, obj: Any = None) -> NotAllowed | None:
    """Why the user may not take `action` (a 403 to raise), or None when they may."""
    if not allows(capacities(user, program, obj), action):
        return NotAllowed(NOT_ALLOWED)
    barred = bar(getattr(user, "pk", None), action, obj)
    return NotAllowed(barred.message, code=barred.code) if barred else None


def may(user: Any, action: Action, program: Any, obj: Any = None) -> bool:
    return refusal(user, action, program, obj) is None


def require(user: Any, action: Action, program: Any, obj: Any = None) -> None:
    """For services: refuse with `NotAllowed` (403) unless the user may: the bar's own
    message when one of `BARS` refuses it."""
    refused = refusal(user, action, program, obj)
    if refused is not None:
        raise refused


def may_manage_tokens(user: Any) -> bool:
    """A sponsor lead manages their own organisation's API tokens; a CDMO administrator the
    CDMO's."""
    who = viewer(user)
    return who is not None and (who.role == Role.SPONSOR_LEAD or is_cdmo_admin(user))


def delegator_for(user: Any, program: Any) -> Any:
    """The sponsor lead on whose behalf `user` may decide `program`'s change orders today
    (`portal.models.Delegation` in force, site time), or None. The lead must still be a lead
    of the program's sponsor whose account is open: a delegate holds no more than the lead."""
    who = viewer(user)
    if who is None or not who.is_sponsor or who.organisation_id != program.sponsor_id:
        return None
    today = clock.site_today()
    delegation = (
        Delegation.objects.filter(
            organisation_id=program.sponsor_id,
            delegate_id=who.user_id,
            ended_at__isnull=True,
            starts_on__lte=today,
            ends_on__gte=today,
            delegator__membership__role=Role.SPONSOR_LEAD,
            delegator__membership__organisation_id=program.sponsor_id,
        )
        .select_related("delegator__membership")
        .first()
    )
    if delegation is None or not account_state.is_open(delegation.delegator):
        return None
    return delegation.delegator


def may_decide_change_order(user: Any, program: Any) -> bool:
    """A lead of the program's sponsor (the table), or a colleague holding a lead's delegation."""
    return may(user, Action.DECIDE_CHANGE_ORDER, program) or (
        delegator_for(user, program) is not None
    )


def may_manage_delegations(user: Any) -> bool:
    """A sponsor lead delegates their own change-order decisions."""
    who = viewer(user)
    return who is not None and who.role == Role.SPONSOR_LEAD


def may_manage_people(user: Any, organisation: Any) -> bool:
    """Who invites, changes and deactivates an organisation's people and reviews their access:
    a sponsor lead for their own organisation; a CDMO administrator for the CDMO and for every
    sponsor (onboarding a sponsor's first lead included)."""
    who = viewer(user)
    if who is None:
        return False
    if is_cdmo_admin(user):
        return True
    return who.role == Role.SPONSOR_LEAD and who.organisation_id == organisation.pk


def grantable_roles(user: Any, organisation: Any) -> frozenset[str]:
    """The roles `user` may give in `organisation`: the organisation's side's roles, to whoever
    manages its people; nothing to anyone else."""
    if not may_manage_people(user, organisation):
        return frozenset()
    cdmo = organisation.kind == "cdmo"
    return Membership.CDMO_ROLES if cdmo else Membership.SPONSOR_ROLES


def may_manage_webhooks(user: Any) -> bool:
    """A sponsor lead registers their own organisation's webhook endpoints."""
    who = viewer(user)
    return who is not None and who.role == Role.SPONSOR_LEAD


def sponsor_viewer(organisation_id: int, *, user_id: int) -> Viewer:
    """A sponsor's plain user, for a system of the sponsor's that hears what their people
    may read (a webhook endpoint): their own programs, the sponsor audience only."""
    return Viewer(user_id=user_id, organisation_id=organisation_id, role=Role.SPONSOR_VIEWER)


class Can(Mapping[str, bool]):
    """What a user may do, readable from templates as `grant.can.post_update`."""

    def __init__(self, held: frozenset[Capacity]) -> None:
        self._held = held

    def __getitem__(self, name: str) -> bool:
        try:
            return allows(self._held, Action(name))
        except ValueError:
            raise KeyError(name) from None

    def __getattr__(self, name: str) -> bool:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self) -> Any:
        return (action.value for action in Action)

    def __len__(self) -> int:
        return len(Action)


@dataclass(frozen=True)
class Grant(Generic[M]):
    """A record the user may see, with what they may do to it: a page looks it up once and
    neither the view nor the template decides again."""

    obj: M
    held: frozenset[Capacity] = field(default_factory=frozenset)
    user_id: int | None = None

    @property
    def can(self) -> Can:
        return Can(self.held)

    def may(self, action: Action, record: Any = None) -> bool:
        """Whether the user may take `action`; on `record` (a part of the object, such as a
        deviation's extension request) the bars of `BARS` apply too."""
        return allows(self.held, action) and bar(self.user_id, action, record) is None

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise NotAllowed(NOT_ALLOWED)


def grant(
    user: Any,
    queryset: QuerySet[M],
    *,
    program: Any = None,
    not_found: str = "Not found.",
    **lookup: Any,
) -> Grant[M]:
    """The one visible row of `queryset` matching `lookup`, with the user's capacities towards
    its program (`program`, or the row itself when it is a program, or `row.program`).
    Raises Http404 when the user may not see it: the queryset must be scoped already."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404(not_found)
    owner = program if program is not None else getattr(obj, "program", obj)
    return Grant(obj=obj, held=capacities(user, owner, obj), user_id=getattr(user, "pk", None))
