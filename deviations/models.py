"""Quality agreements, deviations, their root causes, CAPA and investigation extensions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal import access, bounds, clock
from portal.clock import Unit
from portal.models import Organisation
from programs.models import Milestone, Program
from programs.querysets import ProgramScopedQuerySet

AWARE_BEFORE_OCCURRED = "Awareness cannot be before the deviation occurred."
AWARE_IN_FUTURE = "Awareness cannot be in the future."


class QualityAgreementQuerySet(models.QuerySet):
    def visible_to(self, user: object) -> models.QuerySet[QualityAgreement]:
        """The CDMO sees every agreement; a sponsor's users see their own sponsor's."""
        return access.scope(self, user, sponsor_path="sponsor_id")


class QualityAgreement(models.Model):
    """The sponsor's windows: how soon it must hear of a deviation, by class, and how long an
    investigation and a CAPA may take. One per sponsor; a program may have its own override.

    A versioned record: a change is a new version with its own effective moment, author and
    reason, never an edit in place. A clock uses the version in force when it started
    (`deviations.services.common.agreement_for(program, at=...)`)."""

    sponsor = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="quality_agreements",
        limit_choices_to={"kind": Organisation.Kind.SPONSOR},
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quality_agreements",
        help_text="Empty: the sponsor's default for all its programs.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="1 for the first agreement; each change is the next number."
    )
    effective_from = models.DateTimeField(
        default=bounds.EARLIEST_MOMENT,
        validators=[bounds.validate_moment],
        help_text="From this moment on, clocks that start use this version's windows.",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who recorded this version (empty for agreements from before versioning).",
    )
    reason = models.CharField(
        max_length=500,
        blank=True,
        validators=bounds.LINE,
        help_text="Why this version: the contract amendment, the request it answers.",
    )
    critical_notify = models.PositiveIntegerField(default=24, validators=bounds.WINDOW_COUNT)
    critical_notify_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.HOURS)
    major_notify = models.PositiveIntegerField(default=72, validators=bounds.WINDOW_COUNT)
    major_notify_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.HOURS)
    minor_notify = models.PositiveIntegerField(default=7, validators=bounds.WINDOW_COUNT)
    minor_notify_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.DAYS)
    investigation = models.PositiveIntegerField(default=30, validators=bounds.WINDOW_COUNT)
    investigation_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.DAYS)
    capa = models.PositiveIntegerField(default=90, validators=bounds.WINDOW_COUNT)
    capa_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.DAYS)

    objects = QualityAgreementQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sponsor", "version"],
                condition=Q(program__isnull=True),
                name="one_default_quality_agreement_version_per_sponsor",
            ),
            models.UniqueConstraint(
                fields=["program", "version"],
                condition=Q(program__isnull=False),
                name="one_quality_agreement_version_per_program",
            ),
        ]
        ordering = ["sponsor", "program", "-version"]

    def __str__(self) -> str:
        scope = self.program.code if self.program is not None else "all programs"
        return f"Quality agreement v{self.version}: {self.sponsor} ({scope})"

    def notify_window(self, classification: str) -> tuple[int, str]:
        return (
            getattr(self, f"{classification}_notify"),
            getattr(self, f"{classification}_notify_unit"),
        )


class DeviationYear(models.Model):
    """The counter behind DEV-YYYY-NNNN: one row per year, locked while a number is taken."""

    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Deviation(models.Model):
    """An unplanned departure from an approved process, recorded, investigated and told to the
    sponsor within its quality agreement's window (21 CFR 211.100(b), 211.192)."""

    class Classification(models.TextChoices):
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        PENDING_CAPA = "pending_capa", "Pending CAPA"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.OPEN, Status.INVESTIGATING, Status.PENDING_CAPA)

    reference = models.CharField(max_length=16, unique=True)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="deviations")
    batches = models.ManyToManyField(
        "programs.Batch",
        blank=True,
        related_name="deviations",
        help_text="The batches this deviation affects, all of its own program.",
    )
    title = models.CharField(max_length=200, validators=bounds.LINE)
    description = models.TextField(validators=bounds.TEXT)
    classification = models.CharField(max_length=10, choices=Classification.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    occurred_at = models.DateTimeField(validators=bounds.MOMENT)
    aware_at = models.DateTimeField(
        help_text="The notification clock starts here.", validators=bounds.MOMENT
    )
    notification_due = models.DateTimeField(validators=bounds.MOMENT)
    sponsor_notified_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    sponsor_acknowledged_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    sponsor_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    seconds_to_notify = models.PositiveIntegerField(
        null=True, blank=True, help_text="From awareness to the sponsor being notified."
    )
    seconds_to_acknowledge = models.PositiveIntegerField(
        null=True, blank=True, help_text="From notification to the sponsor's acknowledgement."
    )
    investigation_due = models.DateTimeField(validators=bounds.MOMENT)
    impact_product_quality = models.TextField(blank=True, validators=bounds.TEXT)
    impact_other_batches = models.TextField(
        blank=True, help_text="Other batches affected.", validators=bounds.TEXT
    )
    impact_timeline = models.TextField(blank=True, validators=bounds.TEXT)
    affected_milestones = models.ManyToManyField(Milestone, blank=True, related_name="deviations")
    impact_cost = models.TextField(blank=True, validators=bounds.TEXT)
    no_capa_rationale = models.TextField(blank=True, validators=bounds.TEXT)
    closure_reason = models.TextField(blank=True, validators=bounds.TEXT)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    version = models.PositiveIntegerField(default=1)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-aware_at", "-id"]
        indexes = [models.Index(fields=["program", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(aware_at__gte=models.F("occurred_at")),
                name="deviation_aware_not_before_occurred",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        if self.aware_at and self.occurred_at and self.aware_at < self.occurred_at:
            raise ValidationError({"aware_at": AWARE_BEFORE_OCCURRED})
        if self.aware_at and self.aware_at > timezone.now():
            raise ValidationError({"aware_at": AWARE_IN_FUTURE})

    @property
    def significance(self) -> str:
        """The badge style of its class: critical, notable (major) or info (minor)."""
        return {"critical": "critical", "major": "notable"}.get(self.classification, "info")

    @property
    def time_to_notify(self) -> datetime.timedelta | None:
        if self.seconds_to_notify is None:
            return None
        return datetime.timedelta(seconds=self.seconds_to_notify)

    @property
    def time_to_acknowledge(self) -> datetime.timedelta | None:
        if self.seconds_to_acknowledge is None:
            return None
        return datetime.timedelta(seconds=self.seconds_to_acknowledge)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def notification_overdue(self) -> bool:
        moment = self.sponsor_notified_at or timezone.now()
        return moment > self.notification_due


class RootCause(models.Model):
    """One categorised cause found by the investigation; a deviation may have several."""

    class Category(models.TextChoices):
        PERSONNEL = "personnel", "Personnel"
        EQUIPMENT = "equipment", "Equipment"
        MATERIAL = "material", "Material"
        METHOD = "method", "Method / procedure"
        ENVIRONMENT = "environment", "Environment"
        MEASUREMENT = "measurement", "Measurement"
        UNKNOWN = "unknown", "Not determined"

    deviation = models.ForeignKey(Deviation, on_delete=models.CASCADE, related_name="root_causes")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=16, choices=Category.choices)
    description = models.TextField(validators=bounds.TEXT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deviation", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:60]}"


class CAPA(models.Model):
    """A corrective or preventive action, with an owner, a due date and an effectiveness
    check."""

    class Kind(models.TextChoices):
        CORRECTIVE = "corrective", "Corrective"
        PREVENTIVE = "preventive", "Preventive"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    deviation = models.ForeignKey(Deviation, on_delete=models.CASCADE, related_name="capas")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(help_text="1, 2, … within its deviation.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.TextField(validators=bounds.TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(
        help_text="Within the quality agreement's CAPA window unless justified.",
        validators=bounds.DATE,
    )
    due_justification = models.TextField(
        blank=True,
        help_text="Why it is due after the agreement's CAPA window, if it is.",
        validators=bounds.TEXT,
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    effectiveness_check = models.TextField(blank=True, validators=bounds.TEXT)
    effectiveness_checked_on = models.DateField(null=True, blank=True, validators=bounds.DATE)
    completed_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deviation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["deviation", "number"], name="one_capa_number")
        ]
        verbose_name = "CAPA"
        verbose_name_plural = "CAPAs"

    def __str__(self) -> str:
        return f"CAPA {self.number}: {self.description[:60]}"

    @property
    def is_overdue(self) -> bool:
        """Open after its due date has passed on the site's calendar."""
        return self.status == self.Status.OPEN and clock.is_overdue(self.due_date)


class ExtensionRequest(models.Model):
    """A request to move the investigation's due date; QA decides it with a signature."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"

    deviation = models.ForeignKey(Deviation, on_delete=models.CASCADE, related_name="extensions")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    new_due = models.DateTimeField(validators=bounds.MOMENT)
    reason = models.TextField(validators=bounds.TEXT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deviation", "-requested_at"]

    def __str__(self) -> str:
        return f"Extension of {self.deviation.reference} to {self.new_due:%Y-%m-%d}"
