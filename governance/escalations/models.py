"""Escalation paths and escalations. Registered with the governance app through
`governance/models.py`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from portal import bounds, clock
from portal.access import Audience
from programs.models import Program
from programs.querysets import AudienceQuerySet

REFERENCE_PREFIX = "ESC"


class EscalationPath(models.Model):
    """The ordered levels an escalation climbs on one program, or the CDMO's default path
    (`program` empty, `site_default` set) for programs without their own."""

    program = models.OneToOneField(
        Program,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalation_path",
        help_text="Empty: the CDMO's default path, used by every program without its own.",
    )
    site_default = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site_default"],
                condition=Q(site_default=True),
                name="one_default_escalation_path",
            ),
            models.CheckConstraint(
                condition=Q(site_default=True, program__isnull=True)
                | Q(site_default=False, program__isnull=False),
                name="escalation_path_program_or_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} escalation path" if self.program else "Default path"


class EscalationLevel(models.Model):
    """One step of a path: who must respond (a role or a named person) and how soon."""

    class Role(models.TextChoices):
        PM = "pm", "The program's project manager"
        TEAM = "team", "The program's CDMO team"
        QA = "qa", "Quality assurance"
        LEADERSHIP = "leadership", "CDMO leadership"

    path = models.ForeignKey(EscalationPath, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(help_text="1 is the first level.")
    role = models.CharField(max_length=12, choices=Role.choices, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    window = models.PositiveIntegerField(
        validators=[MinValueValidator(1), *bounds.WINDOW_COUNT],
        help_text="How long this level has to acknowledge before the next level hears.",
    )
    window_unit = models.CharField(
        max_length=16, choices=clock.Unit.choices, default=clock.Unit.HOURS
    )

    class Meta:
        ordering = ["path", "position"]
        constraints = [
            models.UniqueConstraint(fields=["path", "position"], name="one_level_per_position"),
            models.CheckConstraint(
                condition=(Q(role="") & Q(person__isnull=False))
                | (~Q(role="") & Q(person__isnull=True)),
                name="escalation_level_role_or_person",
            ),
            models.CheckConstraint(condition=Q(window__gt=0), name="escalation_window_positive"),
        ]

    def __str__(self) -> str:
        return f"Level {self.position}: {self.who} within {self.window} {self.window_unit}"

    @property
    def who(self) -> str:
        return self.person.display_name if self.person else self.get_role_display()


class Escalation(models.Model):
    """An issue on its way up a path. Open until resolved; the sweep moves it up while nobody
    has acknowledged it. A sponsor's concern is the one kind the sponsor sees (its audience is
    `sponsor`); everything else is internal."""

    class Subject(models.TextChoices):
        DEVIATION = "deviation", "Deviation"
        ACTION_ITEM = "action_item", "Action item"
        MILESTONE = "milestone", "Milestone"
        QUESTION = "question", "Question or comment"
        CHANGE_ORDER = "change_order", "Change order"
        ISSUE = "issue", "Issue"
        CONCERN = "concern", "Sponsor concern"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="escalations")
    subject_kind = models.CharField(max_length=16, choices=Subject.choices)
    subject_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The subject's primary key; empty for an issue.",
        validators=bounds.LINE,
    )
    title = models.CharField(max_length=250, validators=bounds.LINE)
    detail = models.TextField(blank=True, validators=bounds.TEXT)
    url = models.CharField(
        max_length=300, blank=True, help_text="Where the subject is.", validators=bounds.LINE
    )
    rule = models.CharField(
        max_length=40,
        blank=True,
        help_text="The rule that raised it; empty when a person did.",
        validators=bounds.LINE,
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(validators=bounds.MOMENT)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    level = models.PositiveSmallIntegerField(default=1)
    level_started_at = models.DateTimeField(validators=bounds.MOMENT)
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=bounds.MOMENT,
        help_text="When this level's window closes; empty at the path's last level.",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True, validators=bounds.TEXT)

    objects = AudienceQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            # The sweep's one read: what is due, among the unacknowledged open rows only.
            models.Index(
                fields=["due_at"],
                condition=Q(acknowledged_at__isnull=True, resolved_at__isnull=True),
                name="escalation_due",
            ),
            models.Index(
                fields=["program"], condition=Q(resolved_at__isnull=True), name="escalation_open"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_kind", "subject_id"],
                condition=Q(resolved_at__isnull=True) & ~Q(rule=""),
                name="one_open_escalation_per_rule_and_subject",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(resolution=""),
                name="resolved_escalation_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """ESC-YYYY-NNNN: the year raised and the row's number, for people and the API."""
        return f"{REFERENCE_PREFIX}-{self.raised_at:%Y}-{self.pk:04d}"

    @property
    def status(self) -> str:
        if self.resolved_at is not None:
            return self.Status.RESOLVED
        if self.acknowledged_at is not None:
            return self.Status.ACKNOWLEDGED
        return self.Status.OPEN

    @property
    def age(self) -> datetime.timedelta:
        return clock.clock_state(self.raised_at).remaining * -1

    @property
    def time_left(self) -> datetime.timedelta | None:
        """Until this level's window closes (negative: overdue); None once nothing runs."""
        if self.due_at is None or self.status != self.Status.OPEN:
            return None
        return clock.clock_state(self.due_at).remaining

    @property
    def age_label(self) -> str:
        return clock.humanise(self.age)

    @property
    def time_left_label(self) -> str:
        left = self.time_left
        if left is None:
            return "—" if self.status != self.Status.OPEN else "top level"
        return clock.humanise(left) + (" overdue" if left.total_seconds() < 0 else "")


class EscalationStep(models.Model):
    """One level an escalation reached, once: the unique pair (escalation, level) is what makes
    the sweep idempotent, run twice or on two workers at once."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField(validators=bounds.MOMENT)
    due_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    who = models.CharField(
        max_length=250, blank=True, help_text="Who was to respond.", validators=bounds.LINE
    )

    class Meta:
        ordering = ["escalation", "level"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "level"], name="one_step_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} level {self.level}"
