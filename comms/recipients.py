"""Who an activity-stream event concerns: the one table of notification rules.

Each `Rule` names the events it covers (a verb such as `question.asked`, a prefix such as
`deviation.`, or a significance) and the groups of people they concern. The fan-out
(`comms.services.notifications`) takes the union over every matching rule, then drops the
actor (nobody is told of their own action), people who are no longer active, and anyone the
one door (`portal.access.may_see`) would not show the event to: a sponsor never hears of an
internal event, nor of another sponsor's program.

To add a rule, add a line to `RULES`; to add a group, add a function from `Context` to users
and name it in the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from comms.models import Comment
from governance.escalations.models import Escalation
from governance.escalations.selectors import level_recipients
from portal import access
from portal.models import Membership, User
from programs.models import Event, Program, ProgramMember
from programs.selectors import quality_people


@dataclass
class Context:
    """One event and its program, with the people lookups cached for the rules that share
    them (a handful of queries per event, whatever the rules)."""

    event: Event
    program: Program

    @cached_property
    def _members(self) -> list[ProgramMember]:
        return list(
            ProgramMember.objects.active()
            .filter(program=self.program, user__is_active=True)
            .select_related("user__membership")
        )

    @cached_property
    def sponsor_people(self) -> list[User]:
        return list(
            User.objects.filter(
                access.program_grant_q(self.program.pk),
                is_active=True,
                membership__organisation_id=self.program.sponsor_id,
            )
            .select_related("membership")
            .prefetch_related("membership__programs")
            .distinct()
        )


Group = Callable[[Context], Iterable[User]]


def dedicated_pm(ctx: Context) -> Iterable[User]:
    """The program's dedicated PM."""
    return [m.user for m in ctx._members if m.role == ProgramMember.Role.DEDICATED_PM]


def program_team(ctx: Context) -> Iterable[User]:
    """The program's CDMO team: its active CDMO members (PM, workstream owners, executive);
    an assignment as QA does not make one of the team (QA hears as `quality`)."""
    return [
        m.user for m in ctx._members if access.is_cdmo(m.user) and m.role != ProgramMember.Role.QA
    ]


def quality(ctx: Context) -> Iterable[User]:
    """QA of the program: assigned to it, or QA across the site."""
    return quality_people(ctx.program.pk)


def _escalation(ctx: Context) -> Escalation | None:
    """The escalation the event is about, if it is about one."""
    if ctx.event.subject_type != "governance.escalation" or not ctx.event.subject_id.isdigit():
        return None
    return (
        Escalation.objects.filter(pk=int(ctx.event.subject_id))
        .select_related("raised_by", "assigned_to")
        .first()
    )


def escalation_level(ctx: Context) -> Iterable[User]:
    """Who answers for the escalation (the event's subject) at its current level."""
    escalation = _escalation(ctx)
    return level_recipients(escalation) if escalation is not None else []


def escalation_raiser(ctx: Context) -> Iterable[User]:
    """Who raised the escalation (a sponsor's concern: the sponsor hears its answer)."""
    escalation = _escalation(ctx)
    return [escalation.raised_by] if escalation is not None and escalation.raised_by else []


def escalation_assignee(ctx: Context) -> Iterable[User]:
    """Whom leadership gave the escalation to."""
    escalation = _escalation(ctx)
    return [escalation.assigned_to] if escalation is not None and escalation.assigned_to else []


def sponsor(ctx: Context) -> Iterable[User]:
    """Everyone at the program's sponsor."""
    return ctx.sponsor_people


def sponsor_leads(ctx: Context) -> Iterable[User]:
    """The sponsor's leads: who decide change orders."""
    return [u for u in ctx.sponsor_people if u.membership.role == Membership.Role.SPONSOR_LEAD]


def asker(ctx: Context) -> Iterable[User]:
    """Who asked the question an answer (the event's subject) answers."""
    if ctx.event.subject_type != "comms.comment" or not ctx.event.subject_id.isdigit():
        return []
    answer = (
        Comment.objects.filter(pk=int(ctx.event.subject_id), answer_to__isnull=False)
        .select_related("answer_to__author__membership")
        .first()
    )
    return [answer.answer_to.author] if answer is not None and answer.answer_to else []


@dataclass(frozen=True)
class Rule:
    """Events matching any of `verbs` (exact, or a prefix ending in a dot), of `significance`,
    or announced as an update when `announced`, concern the people of the groups in `to`."""

    to: tuple[Group, ...]
    verbs: tuple[str, ...] = ()
    significance: tuple[str, ...] = field(default=())
    announced: bool = False  # events that also post a program update

    def matches(self, event: Event) -> bool:
        if event.significance in self.significance or (self.announced and event.announce):
            return True
        return any(
            event.verb.startswith(verb) if verb.endswith(".") else event.verb == verb
            for verb in self.verbs
        )


RULES: tuple[Rule, ...] = (
    # The sponsor hears what was shared with them (the audience filter drops internal events).
    Rule(verbs=("update.posted", "update.published"), to=(sponsor,)),
    Rule(announced=True, to=(sponsor,)),
    Rule(verbs=("milestone.rescheduled", "milestone.rebaselined"), to=(sponsor, program_team)),
    Rule(verbs=("milestone.completed",), to=(sponsor,)),
    Rule(verbs=("deviation.logged", "deviation.extension_requested"), to=(sponsor,)),
    Rule(verbs=("deviation.",), to=(dedicated_pm,)),
    Rule(verbs=("deviation.acknowledged",), to=(quality,)),
    Rule(verbs=("risk.shared", "note.shared", "action.shared"), to=(sponsor,)),
    Rule(verbs=("meeting.scheduled", "meeting.written_up"), to=(sponsor, program_team)),
    # A sponsor's question reaches the PM; its answer reaches the asker.
    Rule(verbs=("question.asked", "comment.posted"), to=(dedicated_pm,)),
    Rule(verbs=("question.answered",), to=(asker,)),
    Rule(verbs=("change_order.proposed",), to=(sponsor_leads,)),
    Rule(verbs=("change_order.approved", "change_order.rejected"), to=(dedicated_pm,)),
    Rule(verbs=("member.handover",), to=(sponsor, program_team)),
    # An escalation reaches its level when raised and at each move up; its raiser hears the
    # acknowledgement and the resolution; an assignment reaches the assignee.
    Rule(verbs=("escalation.raised", "escalation.escalated"), to=(escalation_level,)),
    Rule(verbs=("escalation.acknowledged", "escalation.resolved"), to=(escalation_raiser,)),
    Rule(verbs=("escalation.assigned",), to=(escalation_assignee,)),
    # Critical news reaches the whole team, and the sponsor when it is theirs to see.
    Rule(significance=("critical",), to=(program_team, dedicated_pm, sponsor)),
)


def recipients(ctx: Context) -> list[User]:
    """Everyone the event concerns and may see, the actor left out, in a stable order."""
    event = ctx.event
    chosen: dict[int, User] = {}
    for rule in RULES:
        if rule.matches(event):
            for group in rule.to:
                for user in group(ctx):
                    chosen.setdefault(user.pk, user)
    chosen.pop(event.actor_id or 0, None)
    return [
        user
        for pk, user in sorted(chosen.items())
        if user.is_active
        and access.may_see(
            access.viewer(user),
            sponsor_id=ctx.program.sponsor_id,
            audience=event.audience,
            program_id=ctx.program.pk,
        )
    ]
