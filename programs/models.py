"""Programs, the people embedded in them, and each program's activity stream."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from portal.models import Organisation
from programs.querysets import AudienceQuerySet, ProgramQuerySet


class Audience(models.TextChoices):
    """Who may see an item: both sides, or the CDMO only."""

    SPONSOR = "sponsor", "Sponsor and CDMO"
    INTERNAL = "internal", "CDMO internal"


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
    name = models.CharField(max_length=200)
    product = models.CharField(max_length=200, blank=True, help_text="Product or molecule.")
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.OTHER)
    phase = models.CharField(max_length=12, choices=Phase.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    health = models.CharField(max_length=6, choices=Health.choices, default=Health.GREEN)
    health_reason = models.TextField(blank=True)
    start_date = models.DateField(null=True, blank=True)
    target_launch_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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

    @cached_property
    def active_members(self) -> list[ProgramMember]:
        """Current people on the program; selectors prefetch this under the same name."""
        return list(self.members.active().select_related("user"))

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
    ended_at = models.DateTimeField(null=True, blank=True)

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


class EventQuerySet(AudienceQuerySet):
    pass


class Event(models.Model):
    """One entry in a program's append-only activity stream; feeds live pages and history."""

    class Kind(models.TextChoices):
        PROGRAM = "program", "Program"
        UPDATE = "update", "Update"
        MEMBER = "member", "People"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    verb = models.CharField(max_length=40, help_text="What happened, e.g. 'update.posted'.")
    summary = models.CharField(max_length=300)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    url = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["program", "-id"])]

    def __str__(self) -> str:
        return f"{self.program.code}: {self.summary}"
