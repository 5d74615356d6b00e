"""Programs, the people embedded in them, and each program's activity stream."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from portal import access, bounds
from portal.access import Audience
from portal.feed import TransactionId
from portal.models import Membership, Organisation
from programs import kpi_catalogue
from programs.querysets import (
    AudienceQuerySet,
    BatchQuerySet,
    ProgramQuerySet,
    ProgramScopedQuerySet,
)

QA_ASSIGNMENT_NEEDS_QA_ROLE = (
    "Only a member of the CDMO with the QA role can be assigned as QA: change their role first."
)


class Program(models.Model):
    """One sponsor's development or manufacturing program at the CDMO."""

    class Phase(models.TextChoices):
        PRECLINICAL = "preclinical", "Preclinical"
        PHASE_1 = "phase_1", "Phase I"
        PHASE_2 = "phase_2", "Phase II"
        PHASE_3 = "phase_3", "Phase III"
        COMMERCIAL = "commercial", "Commercial"

    class Modality(models.TextChoices):
        SMALL_MOLECULE = "small_molecule", "Small molecule"
        BIOLOGIC = "biologic", "Biologic"
        CELL_GENE = "cell_gene", "Cell & gene therapy"
        STERILE_INJECTABLE = "sterile_injectable", "Sterile injectable"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        TERMINATED = "terminated", "Terminated"

    class Health(models.TextChoices):
        GREEN = "green", "On track"
        AMBER = "amber", "At risk"
        RED = "red", "Off track"

    sponsor = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="programs",
        limit_choices_to={"kind": Organisation.Kind.SPONSOR},
    )
    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{1,7}-[0-9]{1,6}$", "Use a code like HLX-101.")],
        help_text="Human reference used in URLs and the API, e.g. HLX-101.",
    )
    name = models.CharField(max_length=200, validators=bounds.LINE)
    product = models.CharField(
        max_length=200,
        blank=True,
        help_text="Product or molecule.",
        validators=bounds.LINE,
    )
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.OTHER)
    phase = models.CharField(max_length=12, choices=Phase.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    health = models.CharField(
        max_length=6,
        choices=Health.choices,
        default=Health.GREEN,
        help_text="What sponsors see: the PM's override if set, else the rule's verdict.",
    )
    health_reason = models.TextField(
        blank=True, help_text="Why the health is what it is.", validators=bounds.TEXT
    )
    health_rule = models.CharField(
        max_length=6,
        choices=Health.choices,
        default=Health.GREEN,
        help_text="The verdict of the rule (slips, questions, risks, actions), kept current.",
    )
    health_override = models.CharField(
        max_length=6, choices=Health.choices, blank=True, help_text="Set by the PM, with a reason."
    )
    health_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    health_override_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    start_date = models.DateField(null=True, blank=True, validators=bounds.DATE)
    target_launch_date = models.DateField(null=True, blank=True, validators=bounds.DATE)
    slip_threshold_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="A forecast moving later than baseline by more than this posts a notable update.",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}\Z", "Use an ISO 4217 code, e.g. USD.")],
    )
    baseline_frozen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the kick-off completes; baselines then need a reason.",
        validators=bounds.MOMENT,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveBigIntegerField(
        default=1,
        editable=False,
        help_text="Bumped once by every transaction that changes the program or a record under "
        "it (programs/changes.py): what conditional requests and caches key on.",
    )

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_launch_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(target_launch_date__gte=models.F("start_date")),
                name="program_launch_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def live_event_name(self) -> str:
        return f"program-{self.code}"

    PREFETCHED_MEMBERS = "prefetched_active_members"

    @cached_property
    def active_members(self) -> list[ProgramMember]:
        """Current people on the program, from the selectors' prefetch when there is one."""
        prefetched = self.__dict__.get(self.PREFETCHED_MEMBERS)
        if prefetched is not None:
            return list(prefetched)
        return list(self.members.active().select_related("user"))

    def forget_members(self) -> None:
        """Drop the cached people after a change to them."""
        self.__dict__.pop("active_members", None)
        self.__dict__.pop(self.PREFETCHED_MEMBERS, None)

    @property
    def dedicated_pm(self) -> ProgramMember | None:
        return next(
            (m for m in self.active_members if m.role == ProgramMember.Role.DEDICATED_PM), None
        )


class ProgramMemberQuerySet(models.QuerySet):
    def active(self) -> ProgramMemberQuerySet:
        return self.filter(ended_at__isnull=True)


class ProgramMember(models.Model):
    """A person's role in one program. Ended rows are kept: they are the program's history."""

    class Role(models.TextChoices):
        DEDICATED_PM = "dedicated_pm", "Dedicated project manager"
        WORKSTREAM_OWNER = "workstream_owner", "Workstream owner"
        SPONSOR_CONTACT = "sponsor_contact", "Sponsor contact"
        CDMO_EXECUTIVE = "cdmo_executive", "CDMO executive sponsor"
        SPONSOR_EXECUTIVE = "sponsor_executive", "Sponsor executive sponsor"
        QA = "qa", "Quality assurance (QA)"

    class Rank(models.TextChoices):
        PRIMARY = "primary", "Primary"
        BACKUP = "backup", "Backup"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="program_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    rank = models.CharField(max_length=8, choices=Rank.choices, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)

    objects = ProgramMemberQuerySet.as_manager()

    class Meta:
        ordering = ["program", "role", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(role="dedicated_pm", ended_at__isnull=True),
                name="one_active_dedicated_pm_per_program",
            ),
            models.UniqueConstraint(
                fields=["program", "user", "role"],
                condition=Q(ended_at__isnull=True),
                name="one_active_role_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} on {self.program.code}"

    def clean(self) -> None:
        """QA on a program signs its QA decisions (`portal.access`), so only a member of the
        CDMO's QA role may hold it: operations staff never become QA by an assignment."""
        if self.role != self.Role.QA or self.user_id is None:
            return
        membership = Membership.objects.filter(user_id=self.user_id).first()
        if membership is None or membership.role != Membership.Role.QA:
            raise ValidationError({"user": QA_ASSIGNMENT_NEEDS_QA_ROLE})


class EventQuerySet(AudienceQuerySet):
    pass


class Event(models.Model):
    """One entry in a program's append-only activity stream; feeds live pages and history."""

    class Kind(models.TextChoices):
        PROGRAM = "program", "Program"
        UPDATE = "update", "Update"
        MEMBER = "member", "People"
        MILESTONE = "milestone", "Timeline"
        WORKSTREAM = "workstream", "Workstream"
        KICKOFF = "kickoff", "Kick-off"
        MEETING = "meeting", "Meeting"
        ACTION = "action", "Action item"
        COMMENT = "comment", "Comment or question"
        RISK = "risk", "Risk"
        COST = "cost", "Costs"
        DEVIATION = "deviation", "Deviation"
        ESCALATION = "escalation", "Escalation"
        BATCH = "batch", "Batch"
        KPI = "kpi", "KPI target"
        REPORT = "report", "Report or export"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    verb = models.CharField(max_length=40, help_text="What happened, e.g. 'update.posted'.")
    summary = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    significance = models.CharField(
        max_length=10,
        choices=[("info", "Info"), ("notable", "Notable"), ("critical", "Critical")],
        default="info",
    )
    announce = models.BooleanField(
        default=False, help_text="Also post it as a program update (comms reacts to it)."
    )
    audience = models.CharField(max_length=10, choices=Audience.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_type = models.CharField(
        max_length=100, blank=True, help_text="What changed: the record's app_label.model."
    )
    subject_id = models.CharField(max_length=64, blank=True, help_text="Its primary key.")
    url = models.CharField(max_length=300, blank=True, help_text="Where a reader can look.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    xid = models.BigIntegerField(
        db_default=TransactionId(),
        editable=False,
        help_text="The writing transaction's id: the change feed's order (portal/feed.py).",
    )
    fanned_out_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "When comms turned the event into notifications. Empty from the writer's "
            "transaction on, so an event whose hand-off was lost (the broker down at commit) "
            "is still found by the sweep."
        ),
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["program", "-id"]),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["xid", "id"], name="event_feed_order"),
            models.Index(
                fields=["id"], condition=Q(fanned_out_at__isnull=True), name="event_awaiting_fanout"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code}: {self.summary}"


class Workstream(models.Model):
    """A strand of work in a program, owned by one person on each side."""

    class Kind(models.TextChoices):
        TECH_TRANSFER = "tech_transfer", "Tech transfer"
        PROCESS_DEVELOPMENT = "process_development", "Process development"
        ANALYTICAL = "analytical", "Analytical"
        MANUFACTURING = "manufacturing", "Manufacturing"
        FILL_FINISH = "fill_finish", "Fill-finish"
        QA_REGULATORY = "qa_regulatory", "QA / regulatory"
        SUPPLY_CHAIN = "supply_chain", "Supply chain"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ON_HOLD = "on_hold", "On hold"
        COMPLETE = "complete", "Complete"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="workstreams")
    name = models.CharField(max_length=120, validators=bounds.LINE)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.OTHER)
    cdmo_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cdmo_workstreams",
    )
    sponsor_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sponsor_workstreams",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    start_date = models.DateField(null=True, blank=True, validators=bounds.DATE)
    end_date = models.DateField(null=True, blank=True, validators=bounds.DATE)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["program", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="unique_workstream_name"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="workstream_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} · {self.name}"

    @property
    def has_both_owners(self) -> bool:
        return self.cdmo_owner_id is not None and self.sponsor_owner_id is not None


class Milestone(models.Model):
    """A dated commitment. The baseline is agreed at kick-off and then frozen; the forecast
    moves, each move audited with a reason; slip = forecast (or actual) minus baseline."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="milestones")
    workstream = models.ForeignKey(
        Workstream, on_delete=models.SET_NULL, null=True, blank=True, related_name="milestones"
    )
    name = models.CharField(max_length=200, validators=bounds.LINE)
    description = models.TextField(blank=True, validators=bounds.TEXT)
    baseline_date = models.DateField(validators=bounds.DATE)
    forecast_date = models.DateField(validators=bounds.DATE)
    actual_date = models.DateField(null=True, blank=True, validators=bounds.DATE)
    forecast_changed_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["program", "forecast_date", "id"]
        indexes = [models.Index(fields=["program", "forecast_date"])]

    def __str__(self) -> str:
        return f"{self.program.code} · {self.name}"

    @property
    def is_done(self) -> bool:
        return self.actual_date is not None

    @property
    def slip_days(self) -> int:
        return ((self.actual_date or self.forecast_date) - self.baseline_date).days


class ChangeOrder(models.Model):
    """A change to the contract value: proposed by the CDMO, decided once by a sponsor lead."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="change_orders")
    reference = models.CharField(max_length=20, help_text="CO-001, numbered per program.")
    title = models.CharField(max_length=200, validators=bounds.LINE)
    rationale = models.TextField(validators=bounds.TEXT)
    amount = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        help_text="Negative for a reduction.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    decision_comment = models.TextField(blank=True, validators=bounds.TEXT)
    decided_on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The sponsor lead whose delegation the decider acted under (portal.Delegation); "
        "empty when the lead decided themself.",
    )

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["program", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["program", "reference"], name="unique_co_reference"),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_at__isnull=False),
                name="decided_change_order_has_decision_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.reference} {self.title}"


class Batch(models.Model):
    """One manufactured lot. Its release is the outcome the partnership is judged on.

    Right-first-time is never typed in: a batch is right first time when it was released, was
    never reworked and no deviation (other than a cancelled one) is linked to it
    (`BatchQuerySet.with_outcome`). The disposition is decided by QA under an electronic
    signature (released or rejected); `reworked` records that the lot was reprocessed and stays
    on the books until QA decides it.
    """

    class Disposition(models.TextChoices):
        PENDING = "pending", "Pending"
        RELEASED = "released", "Released"
        REJECTED = "rejected", "Rejected"
        REWORKED = "reworked", "Reworked"

    DECIDED = (Disposition.RELEASED, Disposition.REJECTED)

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="batches")
    lot_number = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z",
                "Use letters, digits and . _ - only, e.g. 24-117.",
            )
        ],
        help_text="The lot number as printed on the batch record, unique within the program.",
    )
    product = models.CharField(max_length=200, blank=True, validators=bounds.LINE)
    planned_start = models.DateField(validators=bounds.DATE)
    actual_start = models.DateField(null=True, blank=True, validators=bounds.DATE)
    planned_release = models.DateField(validators=bounds.DATE)
    actual_release = models.DateField(
        null=True,
        blank=True,
        validators=bounds.DATE,
        help_text="The site-local day QA decided the disposition (released or rejected).",
    )
    quantity_committed = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    quantity_delivered = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    quantity_unit = models.CharField(max_length=20, default="g", validators=bounds.LINE)
    over_delivery_agreed = models.BooleanField(
        default=False,
        help_text="Set when the sponsor agreed to take more than was committed; without it a "
        "delivery above the committed quantity is refused.",
    )
    disposition = models.CharField(
        max_length=10, choices=Disposition.choices, default=Disposition.PENDING
    )
    reworked = models.BooleanField(
        default=False, help_text="The lot was reworked or reprocessed at least once."
    )
    disposition_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    disposition_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposition_reason = models.TextField(blank=True, validators=bounds.TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["program", "planned_start", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "lot_number"], name="unique_batch_lot"),
            models.CheckConstraint(
                condition=Q(planned_release__gte=models.F("planned_start")),
                name="batch_planned_release_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_release__isnull=True)
                | (Q(actual_start__isnull=False) & Q(actual_release__gte=models.F("actual_start"))),
                name="batch_released_after_start",
            ),
            models.CheckConstraint(
                condition=Q(quantity_delivered__isnull=True)
                | Q(over_delivery_agreed=True)
                | Q(quantity_delivered__lte=models.F("quantity_committed")),
                name="batch_delivery_within_commitment",
            ),
            models.CheckConstraint(
                condition=Q(disposition__in=["pending", "reworked"])
                | (Q(actual_release__isnull=False) & Q(disposition_at__isnull=False)),
                name="batch_decision_has_day_and_time",
            ),
        ]
        indexes = [models.Index(fields=["program", "actual_release"])]

    def __str__(self) -> str:
        return f"{self.program.code} lot {self.lot_number}"

    @property
    def is_decided(self) -> bool:
        return self.disposition in self.DECIDED

    @property
    def release_slip_days(self) -> int | None:
        if self.actual_release is None:
            return None
        return (self.actual_release - self.planned_release).days


class KpiTarget(models.Model):
    """The target agreed for one KPI of a program, recorded at the kick-off.

    Targets are baseline data: once the kick-off is complete a change needs a reason (the
    audit entry keeps it). The KPI keys, units and definitions are `programs.kpi_catalogue`.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="kpi_targets")
    kpi = models.CharField(max_length=40, choices=kpi_catalogue.Kpi.choices)
    target = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        help_text="In the KPI's unit: percent (0-100), hours, days or a count per batch.",
    )
    agreed_at = models.DateTimeField(validators=bounds.MOMENT)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["program", "kpi"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kpi"], name="unique_kpi_target"),
            models.CheckConstraint(condition=Q(target__gte=0), name="kpi_target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.get_kpi_display()} target {self.target}"

    def clean(self) -> None:
        definition = kpi_catalogue.definition(self.kpi) if self.kpi else None
        if definition is not None and self.target is not None:
            problem = definition.target_problem(self.target)
            if problem:
                raise ValidationError({"target": problem})


class CostDriver(models.TextChoices):
    MATERIALS = "materials", "Materials"
    LABOUR = "labour", "Labour"
    TESTING = "testing", "Testing"
    PASS_THROUGH = "pass_through", "Pass-through"


class Budget(models.Model):
    """The contract value of a program; change orders move it."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="budget")
    contract_value = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        validators=[MinValueValidator(0)],
    )
    notes = models.TextField(blank=True, validators=bounds.TEXT)

    objects = ProgramScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.program.code} budget"


class CostLineQuerySet(AudienceQuerySet):
    def counted_for(self, user: Any) -> models.QuerySet[CostLine]:
        """The lines whose amounts count in `user`'s totals: every line of the programs the
        user may see, shared or internal (see `CostLine`). Never for listing lines."""
        return access.scope(self, user, sponsor_path=self.sponsor_path)


class CostLine(models.Model):
    """Committed cost by driver: what the CDMO has committed to spend on the program.

    Who sees what. A line carries an audience (internal by default; the form preselects
    sharing). The sponsor's budget view (budget vs committed vs invoiced, in total and by
    driver) counts EVERY line, shared or internal; only the line detail (description, amount
    of one line, its links) is hidden while a line is internal. Why: a sponsor in a regulated
    company signs off budgets and must never find an overrun late, so "committed" and
    "remaining" have to be the true figures, the same ones the CDMO manages by; totals over
    shared lines only would let the sponsor's view drift from the contract's reality and hide
    an over-budget program. The CDMO, for its part, keeps the make-up of a commitment (a
    supplier's price, a labour estimate not yet agreed) to itself until it chooses to share
    it, which `cost_line_share` does as an audited step.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cost_lines")
    driver = models.CharField(max_length=14, choices=CostDriver.choices)
    description = models.CharField(max_length=200, validators=bounds.LINE)
    amount = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="cost_lines"
    )
    change_order = models.ForeignKey(
        ChangeOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="cost_lines"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CostLineQuerySet.as_manager()

    class Meta:
        ordering = ["program", "driver", "id"]

    def __str__(self) -> str:
        return f"{self.program.code} {self.get_driver_display()}: {self.description}"


class Invoice(models.Model):
    """What has been invoiced, by milestone and driver."""

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=30, unique=True, validators=bounds.LINE)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    driver = models.CharField(max_length=14, choices=CostDriver.choices)
    amount = models.DecimalField(
        max_digits=bounds.AMOUNT_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    issued_on = models.DateField(validators=bounds.DATE)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ISSUED)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["program", "issued_on", "id"]

    def __str__(self) -> str:
        return f"{self.number} ({self.program.code})"
