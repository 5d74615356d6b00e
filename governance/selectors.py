"""Reads for governance, always starting from what the user may see.

The dashboard (comms) calls `next_meeting`, `open_action_items`, `overdue_action_items`,
`top_risks`, `kickoff_checklist` and `meetings_to_write_up`; keep those names stable.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from governance import agenda
from governance.models import ActionItem, CadenceSchedule, CalendarFeed, Kickoff, Meeting, Risk
from portal import access, clock
from portal.models import Membership, User
from programs import kpi_catalogue
from programs.models import KpiTarget, Program, ProgramMember, Workstream

# --- people ----------------------------------------------------------------------------------


def program_people(program: Program) -> QuerySet[User]:
    """Who can attend a program's meetings or own its actions and risks: the CDMO people on
    the program, CDMO leadership, and the sponsor's own users."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(
                membership__role__in=Membership.CDMO_ROLES,
                program_roles__program=program,
                program_roles__ended_at__isnull=True,
            )
            | Q(membership__role=Membership.Role.LEADERSHIP)
            | Q(
                access.program_grant_q(program.pk),
                membership__role__in=Membership.SPONSOR_ROLES,
                membership__organisation_id=program.sponsor_id,
            )
        )
        .select_related("membership__organisation")
        .distinct()
        .order_by("display_name", "id")
    )


# --- kick-off --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str


@dataclass(frozen=True)
class KickoffProgress:
    kickoff: Kickoff | None
    items: list[ChecklistItem]

    @property
    def done(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def complete(self) -> bool:
        return self.kickoff is not None and self.kickoff.is_complete

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def get_kickoff(program: Program) -> Kickoff | None:
    return (
        Kickoff.objects.filter(program=program)
        .select_related("baseline_agreed_by", "completed_by")
        .prefetch_related(Prefetch("attendees", queryset=User.objects.select_related("membership")))
        .first()
    )


def _confirmation(kickoff: Kickoff | None, item: str) -> tuple[bool, str]:
    """The PM's confirmation of `item` (the baseline): done, and who confirmed it when."""
    at = getattr(kickoff, f"{item}_agreed_at", None)
    by = getattr(kickoff, f"{item}_agreed_by", None)
    if at is None:
        return False, "Waiting for the PM's confirmation"
    return True, f"Confirmed by {by.display_name if by else 'someone'} on {at:%d %b %Y}"


def _escalation_contacts(program: Program) -> tuple[bool, str]:
    """A CDMO executive sponsor, and on the sponsor's side an executive sponsor or, failing
    one, the primary sponsor contact: who to call when the PM's level is not enough."""
    Role = ProgramMember.Role
    members = program.active_members
    cdmo = [m for m in members if m.role == Role.CDMO_EXECUTIVE]
    sponsor = [m for m in members if m.role == Role.SPONSOR_EXECUTIVE] or [
        m
        for m in members
        if m.role == Role.SPONSOR_CONTACT and m.rank == ProgramMember.Rank.PRIMARY
    ]
    if cdmo and sponsor:
        return True, f"CDMO: {cdmo[0].user.display_name} · sponsor: {sponsor[0].user.display_name}"
    missing = []
    if not cdmo:
        missing.append("a CDMO executive sponsor")
    if not sponsor:
        missing.append("a sponsor executive sponsor or primary sponsor contact")
    return False, "Name " + " and ".join(missing)


def _kpi_targets(program: Program) -> tuple[bool, str]:
    """Done when every headline KPI (the ones the status API reports) has a target."""
    agreed = set(KpiTarget.objects.filter(program=program).values_list("kpi", flat=True))
    missing = [d.name for d in kpi_catalogue.headline() if d.key not in agreed]
    if missing:
        return False, "No target yet for " + ", ".join(missing)
    return True, f"Targets agreed for {len(agreed)} of {len(kpi_catalogue.CATALOGUE)} KPIs"


def kickoff_checklist(program: Program, kickoff: Kickoff | None = None) -> list[ChecklistItem]:
    """The five things a kick-off must settle. One is a confirmation by the PM; four are read
    from the data, so the checklist never claims what is not true."""
    if kickoff is None:
        kickoff = get_kickoff(program)
    workstreams = list(
        Workstream.objects.filter(program=program).values_list(
            "name", "cdmo_owner_id", "sponsor_owner_id"
        )
    )
    without_owner = [name for name, cdmo, sponsor in workstreams if not (cdmo and sponsor)]
    if not workstreams:
        owners = (False, "No workstreams yet")
    elif without_owner:
        owners = (False, "Missing an owner: " + ", ".join(without_owner))
    else:
        owners = (True, f"All {len(workstreams)} workstreams have a CDMO and a sponsor owner")
    cadence = CadenceSchedule.objects.filter(program=program, active=True).order_by("id").first()
    escalation = _escalation_contacts(program)
    return [
        ChecklistItem("baseline", "Baseline timeline agreed", *_confirmation(kickoff, "baseline")),
        ChecklistItem("owners", "Every workstream has both owners", *owners),
        ChecklistItem(
            "cadence",
            "Communication cadence established",
            cadence is not None,
            (
                f"{cadence.get_frequency_display()} on {cadence.get_weekday_display()}s at "
                f"{cadence.local_time:%H:%M} {cadence.time_zone}"
            )
            if cadence
            else "No active cadence schedule",
        ),
        ChecklistItem("escalation", "Escalation contacts named", *escalation),
        ChecklistItem("kpi_targets", "KPI targets agreed", *_kpi_targets(program)),
    ]


def kickoff_progress(program: Program) -> KickoffProgress:
    kickoff = get_kickoff(program)
    return KickoffProgress(kickoff=kickoff, items=kickoff_checklist(program, kickoff))


# --- cadence and meetings --------------------------------------------------------------------


def cadence_list(*, user: User, program: Program) -> QuerySet[CadenceSchedule]:
    return (
        CadenceSchedule.objects.visible_to(user)
        .filter(program=program)
        .prefetch_related("attendees")
        .order_by("-active", "id")
    )


def get_cadence_for_user(user: User, program: Program, pk: int) -> CadenceSchedule:
    schedule = cadence_list(user=user, program=program).filter(pk=pk).first()
    if schedule is None:
        raise Http404("No such cadence.")
    return schedule


def meeting_list(*, user: User, program: Program | None = None) -> QuerySet[Meeting]:
    meetings = (
        Meeting.objects.visible_to(user)
        .select_related("program__sponsor")
        .prefetch_related("attendees")
        .annotate(action_count=Count("action_items", distinct=True))
    )
    if program is not None:
        meetings = meetings.filter(program=program)
    return meetings


def get_meeting_for_user(user: User, program: Program, pk: int) -> Meeting:
    meeting = (
        Meeting.objects.visible_to(user)
        .filter(program=program, pk=pk)
        .select_related("program__sponsor", "written_up_by", "schedule")
        .prefetch_related(
            Prefetch("attendees", queryset=User.objects.select_related("membership")),
            "present",
        )
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def get_meeting_by_uid(user: User, uid: str) -> Meeting:
    try:
        value = uuid.UUID(uid)
    except ValueError:
        raise Http404("No such meeting.") from None
    meeting = (
        Meeting.objects.visible_to(user)
        .filter(uid=value)
        .select_related("program__sponsor", "written_up_by")
        .prefetch_related("attendees", "present")
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


@dataclass(frozen=True)
class WriteUp:
    """A meeting's minutes and decisions as one reader may see them: a section whose audience
    the reader may not read is empty, and says so."""

    minutes: str
    decisions: str
    minutes_audience: str
    decisions_audience: str
    minutes_hidden: bool
    decisions_hidden: bool


def meeting_write_up(user: User, meeting: Meeting) -> WriteUp:
    readable = access.audiences(who) if (who := access.viewer(user)) else frozenset()
    minutes_hidden = meeting.minutes_audience not in readable
    decisions_hidden = meeting.decisions_audience not in readable
    return WriteUp(
        minutes="" if minutes_hidden else meeting.minutes,
        decisions="" if decisions_hidden else meeting.decisions,
        minutes_audience=meeting.minutes_audience,
        decisions_audience=meeting.decisions_audience,
        minutes_hidden=minutes_hidden,
        decisions_hidden=decisions_hidden,
    )


def meeting_agenda(user: User, meeting: Meeting) -> list[agenda.AgendaSection]:
    """The agenda as stored when the meeting was written up, otherwise composed from what is
    open now; either way only the items this user may read."""
    sections = (
        agenda.sections_from_snapshot(meeting.agenda)
        if meeting.written_up_at
        else agenda.compose_agenda(meeting.program, meeting)
    )
    return agenda.visible_to(sections, user)


def invite_recipients(meeting: Meeting) -> list[User]:
    """The attendees an invite goes to: active, and still able to see the meeting (someone
    who has left the sponsor, or never belonged to it, gets nothing)."""
    return [
        person
        for person in meeting.attendees.filter(is_active=True)
        .select_related("membership")
        .prefetch_related("membership__programs")
        if access.may_see(
            access.viewer(person),
            sponsor_id=meeting.program.sponsor_id,
            program_id=meeting.program_id,
        )
    ]


def next_meeting(user: User, program: Program) -> Meeting | None:
    """The next scheduled call of the program, if any."""
    return (
        Meeting.objects.visible_to(user)
        .filter(program=program, status=Meeting.Status.SCHEDULED, starts_at__gte=timezone.now())
        .order_by("starts_at", "id")
        .first()
    )


def _on_programs_of(user: User) -> Q:
    return Q(
        program__members__user=user,
        program__members__ended_at__isnull=True,
    )


def meetings_to_write_up(user: User) -> QuerySet[Meeting]:
    """Meetings of the user's programs that have happened (held, or scheduled in the past)
    and have no write-up yet: the PM workspace's to-do list. Sponsors write nothing up."""
    if not access.is_cdmo(user):
        return Meeting.objects.none()
    return (
        Meeting.objects.visible_to(user)
        .filter(_on_programs_of(user))
        .filter(
            written_up_at__isnull=True,
            status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD],
            starts_at__lt=timezone.now(),
        )
        .select_related("program")
        .distinct()
        .order_by("starts_at", "id")
    )


FEED_PAST_DAYS = 90


def feed_meetings(user: User) -> QuerySet[Meeting]:
    """What the user's calendar feed lists: meetings they may see and either attend or belong
    to through their program role (never every program the CDMO runs)."""
    since = timezone.now() - datetime.timedelta(days=FEED_PAST_DAYS)
    return (
        Meeting.objects.visible_to(user)
        .filter(Q(attendees=user) | _on_programs_of(user), starts_at__gte=since)
        .select_related("program__sponsor")
        .prefetch_related(
            Prefetch("attendees", queryset=User.objects.select_related("membership")),
            Prefetch(
                "program__members",
                queryset=ProgramMember.objects.active().select_related("user"),
                to_attr=Program.PREFETCHED_MEMBERS,
            ),
        )
        .distinct()
        .order_by("starts_at", "id")
    )


def get_calendar_feed(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user_id=user.pk).first()


def feed_owner(secret: str) -> User | None:
    """The active user whose feed this secret opens, if any."""
    feed = (
        CalendarFeed.objects.filter(secret=secret, user__is_active=True)
        .select_related("user__membership")
        .first()
    )
    return feed.user if feed else None


# --- action items ----------------------------------------------------------------------------

ACTION_FILTERS = ("open", "overdue", "done", "all")


def action_item_list(
    *, user: User, program: Program | None = None, state: str = "all"
) -> QuerySet[ActionItem]:
    """`state` is one of ACTION_FILTERS; overdue means open and past its due date on the site's
    calendar (`clock.site_today`), whoever asks and wherever they are."""
    items = ActionItem.objects.visible_to(user).select_related("owner", "meeting", "program")
    if program is not None:
        items = items.filter(program=program)
    if state == "open":
        items = items.filter(status=ActionItem.Status.OPEN)
    elif state == "overdue":
        items = items.filter(status=ActionItem.Status.OPEN, due_date__lt=clock.site_today())
    elif state == "done":
        items = items.filter(status=ActionItem.Status.DONE)
    return items


def open_action_items(user: User, program: Program | None) -> QuerySet[ActionItem]:
    return action_item_list(user=user, program=program, state="open")


def overdue_action_items(user: User, program: Program | None) -> QuerySet[ActionItem]:
    return action_item_list(user=user, program=program, state="overdue")


def get_action_item_for_user(user: User, program: Program, pk: int) -> ActionItem:
    item = action_item_list(user=user, program=program).filter(pk=pk).first()
    if item is None:
        raise Http404("No such action item.")
    return item


def get_action_item_by_id(user: User, pk: int) -> ActionItem:
    item = action_item_list(user=user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such action item.")
    return item


# --- risks -----------------------------------------------------------------------------------


def risk_list(*, user: User, program: Program) -> QuerySet[Risk]:
    """The register, highest score first."""
    return (
        Risk.objects.visible_to(user)
        .filter(program=program)
        .select_related("owner", "program")
        .annotate(rank=F("likelihood") * F("impact"))
        .order_by("-rank", "-impact", "id")
    )


def top_risks(user: User, program: Program, limit: int = 3) -> list[Risk]:
    """The open risks with the highest likelihood x impact."""
    return list(risk_list(user=user, program=program).filter(status=Risk.Status.OPEN)[:limit])


def get_risk_for_user(user: User, program: Program, pk: int) -> Risk:
    risk = risk_list(user=user, program=program).filter(pk=pk).first()
    if risk is None:
        raise Http404("No such risk.")
    return risk


HEAT_CELL, HEAT_LEFT, HEAT_TOP = 60, 64, 8


@dataclass(frozen=True)
class HeatCell:
    likelihood: int
    impact: int
    count: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    # Layout of the SVG heat map: 60-unit cells, likelihood 5 on the top row, impact 1 left.
    @property
    def x(self) -> int:
        return HEAT_LEFT + (self.impact - 1) * HEAT_CELL

    @property
    def y(self) -> int:
        return HEAT_TOP + (5 - self.likelihood) * HEAT_CELL

    @property
    def band(self) -> str:
        """low 1-4, medium 5-9, high 10-14, critical 15-25: the usual 5x5 banding."""
        if self.score >= 15:
            return "critical"
        if self.score >= 10:
            return "high"
        if self.score >= 5:
            return "medium"
        return "low"


def risk_heat_map(*, user: User, program: Program) -> list[list[HeatCell]]:
    """Open risks counted per likelihood x impact cell; rows from likelihood 5 down to 1."""
    counts = {
        (row["likelihood"], row["impact"]): row["n"]
        for row in Risk.objects.visible_to(user)
        .filter(program=program, status=Risk.Status.OPEN)
        .values("likelihood", "impact")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        [
            HeatCell(likelihood, impact, counts.get((likelihood, impact), 0))
            for impact in range(1, 6)
        ]
        for likelihood in range(5, 0, -1)
    ]
