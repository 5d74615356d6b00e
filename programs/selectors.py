"""Reads for programs, always starting from what the user may see."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from portal import access, clock, feed
from portal.feed import OwnTransaction, Position, VisibleHorizon
from portal.models import AuditEntry, Membership, User
from programs.models import (
    Batch,
    Budget,
    ChangeOrder,
    CostDriver,
    CostLine,
    Event,
    Invoice,
    Milestone,
    Program,
    ProgramMember,
    Workstream,
)


def with_people(queryset: QuerySet[Program]) -> QuerySet[Program]:
    """Programs with their sponsor and current people. The prefetch fills the model's
    `active_members` (a cached property) for every row in one query."""
    return queryset.select_related("sponsor").prefetch_related(
        Prefetch(
            "members",
            queryset=ProgramMember.objects.active().select_related("user"),
            to_attr=Program.PREFETCHED_MEMBERS,
        )
    )


def program_list(*, user: User) -> QuerySet[Program]:
    return with_people(Program.objects.visible_to(user))


def program_grant(user: User, code: str) -> access.Grant[Program]:
    """The program, with its people, and what the user may do with it; 404 (never 403) when
    the user may not see it. Pages and API views look a program up once, here."""
    return access.grant(
        user, with_people(Program.objects.visible_to(user)), code=code, not_found="No such program."
    )


def get_program_for_user(user: User, code: str) -> Program:
    """The program, with its people, if the user may see it; otherwise 404 (never 403)."""
    return program_grant(user, code).obj


def event_list(*, user: User, program: Program | None = None) -> QuerySet[Event]:
    events = Event.objects.visible_to(user).select_related("actor", "program")
    if program is not None:
        events = events.filter(program=program)
    return events


# --- The change feed (portal/feed.py) and the versions conditional requests key on --------


def feed_events(
    *, user: User, after: Position, since: datetime.datetime, limit: int
) -> list[Event]:
    """Up to `limit` events the user may see past `after` in the feed's order, at or after
    `since` (the retention), and only those whose transaction can no longer be overtaken."""
    return list(
        Event.objects.visible_to(user)
        .select_related("program")
        .filter(Q(xid__gt=after.xid) | Q(xid=after.xid, id__gt=after.id), at__gte=since)
        .filter(Q(xid__lt=VisibleHorizon()) | Q(xid=OwnTransaction()))
        .order_by("xid", "id")[:limit]
    )


def feed_start(*, user: User, since: datetime.datetime) -> Position | None:
    """Just before the first retained event the user may see; None when there is none."""
    first = (
        Event.objects.visible_to(user)
        .filter(at__gte=since)
        .order_by("xid", "id")
        .values_list("xid", "id", "at")
        .first()
    )
    return Position.before(*first) if first else None


def feed_now(*, user: User) -> Position:
    """After everything the user may see now and before anything that can still commit:
    where a client that has just read everything starts."""
    oldest_running = feed.horizon()
    if oldest_running is not None:
        return Position(oldest_running - 1, feed.END_OF_TRANSACTION, timezone.now())
    latest = Event.objects.visible_to(user).order_by("-id").values_list("id", flat=True).first()
    return Position(0, latest or 0, timezone.now())


def program_versions(*, user: User, code: str | None = None) -> list[tuple[int, int]]:
    """(id, version) of every program the user may see, or of the one with `code`: what a
    list's ETag is made of (portal/api/conditional.py). One small query."""
    programs = Program.objects.visible_to(user)
    if code is not None:
        programs = programs.filter(code=code)
    return list(programs.order_by("pk").values_list("pk", "version"))


def events_after(*, user: User, after_id: int, limit: int = 200) -> list[Event]:
    """Events the user may see with an id above `after_id`, oldest first (stream catch-up)."""
    return list(
        Event.objects.visible_to(user)
        .select_related("program")
        .filter(id__gt=after_id)
        .order_by("id")[:limit]
    )


# --- Workstreams, milestones and the timeline (issue 3) -------------------------------------

STALE_FORECAST_DAYS = 30


def workstream_list(user: User, program: Program) -> QuerySet[Workstream]:
    return (
        Workstream.objects.visible_to(user)
        .filter(program=program)
        .select_related("cdmo_owner", "sponsor_owner")
    )


def get_workstream_for_user(user: User, program: Program, pk: int) -> Workstream:
    workstream = workstream_list(user, program).filter(pk=pk).first()
    if workstream is None:
        raise Http404("No such workstream.")
    workstream.program = program
    return workstream


def find_workstream(user: User, program: Program, name: str) -> Workstream | None:
    """A workstream of the program by its name (the API's reference for it)."""
    return workstream_list(user, program).filter(name=name).first()


def milestone_list(user: User, program: Program) -> QuerySet[Milestone]:
    """The program's milestones by forecast date, each with its workstream."""
    return (
        Milestone.objects.visible_to(user)
        .filter(program=program)
        .select_related("workstream")
        .order_by("forecast_date", "id")
    )


def get_milestone_for_user(user: User, program: Program, pk: int) -> Milestone:
    milestone = milestone_list(user, program).filter(pk=pk).first()
    if milestone is None:
        raise Http404("No such milestone.")
    milestone.program = program
    return milestone


def next_milestones(user: User, program: Program, limit: int = 5) -> QuerySet[Milestone]:
    """The unfinished milestones due next, soonest forecast first."""
    return milestone_list(user, program).filter(actual_date__isnull=True)[:limit]


def slipped_milestones(user: User, program: Program) -> QuerySet[Milestone]:
    """Unfinished milestones whose forecast is later than their baseline."""
    return milestone_list(user, program).filter(
        actual_date__isnull=True, forecast_date__gt=F("baseline_date")
    )


def _site_days_ago(days: int) -> datetime.datetime:
    """The same wall-clock time on the site, `days` calendar days ago (the inverse of
    `clock.due_at(start, days, "days")`)."""
    now = clock.site_now()
    wall = now.replace(tzinfo=None) - datetime.timedelta(days=days)
    return wall.replace(tzinfo=now.tzinfo)


def stale_forecasts(user: User) -> QuerySet[Milestone]:
    """For the PM workspace: unfinished milestones of the user's own programs whose forecast
    has not been looked at for 30 days, or already lies in the past."""
    mine = ProgramMember.objects.active().filter(user=user).values("program_id")
    return (
        Milestone.objects.visible_to(user)
        .filter(
            program_id__in=mine,
            program__status__in=[Program.Status.ACTIVE, Program.Status.ON_HOLD],
            actual_date__isnull=True,
        )
        .annotate(forecast_checked_at=Coalesce("forecast_changed_at", "created_at"))
        .filter(
            Q(forecast_checked_at__lt=_site_days_ago(STALE_FORECAST_DAYS))
            | Q(forecast_date__lt=clock.site_today())
        )
        .select_related("program", "workstream")
        .order_by("forecast_date", "id")
    )


def milestone_history(milestone: Milestone) -> QuerySet[AuditEntry]:
    """Every recorded change to a milestone, newest first, with its reasons. The caller has
    the milestone from `get_milestone_for_user`, so the user may see it."""
    return (
        AuditEntry.objects.filter(
            program_id=milestone.program_id, model="programs.milestone", object_pk=str(milestone.pk)
        )
        .select_related("actor")
        .order_by("-id")
    )


def cdmo_people() -> QuerySet[User]:
    """Who may own a workstream on the CDMO side."""
    people = User.objects.filter(is_active=True, membership__role__in=Membership.CDMO_ROLES)
    return people.order_by("display_name")


def quality_people(program_id: int) -> QuerySet[User]:
    """QA of a program, as `portal.access` grants it: QA members assigned to it, and QA across
    the site. Who hears of an acknowledgement and of an escalation at QA's level."""
    assigned = ProgramMember.objects.active().filter(
        program_id=program_id, role=ProgramMember.Role.QA
    )
    return User.objects.filter(
        Q(membership__site_wide_qa=True) | Q(pk__in=assigned.values("user_id")),
        is_active=True,
        membership__role=Membership.Role.QA,
    ).order_by("pk")


def sponsor_people(program: Program) -> QuerySet[User]:
    """Who may own a workstream on the sponsor side: users of this program's sponsor."""
    return (
        User.objects.filter(
            access.program_grant_q(program.pk),
            is_active=True,
            membership__organisation_id=program.sponsor_id,
            membership__role__in=Membership.SPONSOR_ROLES,
        )
        .distinct()
        .order_by("display_name")
    )


def find_owner(program: Program, email: str, *, side: str) -> User | None:
    """Someone who may own a workstream of the program on `side` ("cdmo" or "sponsor"),
    by email; None if there is no such person."""
    people = cdmo_people() if side == "cdmo" else sponsor_people(program)
    return people.filter(email__iexact=email).first()


# --- Costs and change orders (issue 3) ------------------------------------------------------

ZERO = Decimal("0.00")
CHANGE_ORDER_REFERENCE = re.compile(r"CO-[0-9]{3,6}")


@dataclass(frozen=True)
class CostSummary:
    """A program's money at a glance. The effective budget is derived, never stored:
    contract value plus the change orders the sponsor approved."""

    currency: str
    contract_value: Decimal | None
    approved_change_orders: Decimal
    committed: Decimal
    invoiced: Decimal
    pending_change_orders: int
    pending_change_orders_value: Decimal

    @property
    def has_budget(self) -> bool:
        return self.contract_value is not None

    @property
    def effective_budget(self) -> Decimal:
        return (self.contract_value or ZERO) + self.approved_change_orders

    @property
    def remaining(self) -> Decimal:
        """Budget not yet committed; negative when the commitments exceed it."""
        return self.effective_budget - self.committed

    @property
    def over_budget(self) -> bool:
        return self.has_budget and self.committed > self.effective_budget


@dataclass(frozen=True)
class DriverCosts:
    driver: str
    label: str
    committed: Decimal
    invoiced: Decimal


def get_budget_for_user(user: User, program: Program) -> Budget | None:
    return Budget.objects.visible_to(user).filter(program=program).first()


def cost_summary(user: User, program: Program) -> CostSummary:
    """Four aggregate queries, whatever the number of lines, invoices and change orders.
    Committed counts every cost line, internal ones included (the rule is on `CostLine`)."""
    contract_value = (
        Budget.objects.visible_to(user)
        .filter(program=program)
        .values_list("contract_value", flat=True)
        .first()
    )
    orders = (
        ChangeOrder.objects.visible_to(user)
        .filter(program=program)
        .aggregate(
            approved=Sum("amount", filter=Q(status=ChangeOrder.Status.APPROVED)),
            pending=Count("id", filter=Q(status=ChangeOrder.Status.PROPOSED)),
            pending_value=Sum("amount", filter=Q(status=ChangeOrder.Status.PROPOSED)),
        )
    )
    committed = (
        CostLine.objects.counted_for(user).filter(program=program).aggregate(total=Sum("amount"))
    )
    invoiced = (
        Invoice.objects.visible_to(user).filter(program=program).aggregate(total=Sum("amount"))
    )
    return CostSummary(
        currency=program.currency,
        contract_value=contract_value,
        approved_change_orders=orders["approved"] or ZERO,
        committed=committed["total"] or ZERO,
        invoiced=invoiced["total"] or ZERO,
        pending_change_orders=orders["pending"],
        pending_change_orders_value=orders["pending_value"] or ZERO,
    )


def cost_by_driver(user: User, program: Program) -> list[DriverCosts]:
    """Committed and invoiced per cost driver, every driver listed (zeros included)."""
    committed = dict(
        CostLine.objects.counted_for(user)
        .filter(program=program)
        .order_by()
        .values("driver")
        .annotate(total=Sum("amount"))
        .values_list("driver", "total")
    )
    invoiced = dict(
        Invoice.objects.visible_to(user)
        .filter(program=program)
        .order_by()
        .values("driver")
        .annotate(total=Sum("amount"))
        .values_list("driver", "total")
    )
    return [
        DriverCosts(
            driver=driver,
            label=label,
            committed=committed.get(driver) or ZERO,
            invoiced=invoiced.get(driver) or ZERO,
        )
        for driver, label in CostDriver.choices
    ]


def change_order_list(user: User, program: Program) -> QuerySet[ChangeOrder]:
    return (
        ChangeOrder.objects.visible_to(user)
        .filter(program=program)
        .select_related("program", "proposed_by", "decided_by", "decided_on_behalf_of")
        .order_by("-proposed_at", "-id")
    )


def get_change_order_for_user(user: User, program: Program, reference: str) -> ChangeOrder:
    """By its reference; a string that cannot be one is a 404 before it reaches the database."""
    if not CHANGE_ORDER_REFERENCE.fullmatch(reference):
        raise Http404("No such change order.")
    change_order = change_order_list(user, program).filter(reference=reference).first()
    if change_order is None:
        raise Http404("No such change order.")
    change_order.program = program
    return change_order


def cost_line_list(user: User, program: Program) -> QuerySet[CostLine]:
    """The lines the user may read: a sponsor's users see shared lines only."""
    return (
        CostLine.objects.visible_to(user)
        .filter(program=program)
        .select_related("milestone", "change_order")
        .order_by("-created_at", "-id")
    )


def get_cost_line_for_user(user: User, program: Program, pk: int) -> CostLine:
    line = cost_line_list(user, program).filter(pk=pk).first()
    if line is None:
        raise Http404("No such cost line.")
    line.program = program
    return line


def invoice_list(user: User, program: Program) -> QuerySet[Invoice]:
    return (
        Invoice.objects.visible_to(user)
        .filter(program=program)
        .select_related("milestone")
        .order_by("-issued_on", "-id")
    )


LOT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def batch_list(user: User, program: Program) -> QuerySet[Batch]:
    """The program's batches with their derived outcome (right first time, on time, in full),
    newest plan first."""
    return (
        Batch.objects.visible_to(user)
        .filter(program=program)
        .with_outcome()
        .select_related("disposition_by")
        .order_by("-planned_start", "-lot_number")
    )


def get_batch_for_user(user: User, program: Program, lot: str) -> Batch:
    """By its lot number; a string that cannot be one is a 404 before it reaches the database."""
    if not LOT_NUMBER.fullmatch(lot):
        raise Http404("No such batch.")
    batch = batch_list(user, program).filter(lot_number=lot).first()
    if batch is None:
        raise Http404("No such batch.")
    batch.program = program
    return batch
