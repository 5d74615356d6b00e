"""Kick-off, cadence meetings with minutes and action items, and the risk register."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from portal import bounds, clock
from portal.access import Audience
from programs.models import Program
from programs.querysets import AudienceQuerySet, ProgramScopedQuerySet

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Kickoff(models.Model):
    """The formal start of the partnership on a program. Completing it freezes the baselines.

    One checklist item is a confirmation (baseline agreed); the others are read from the data
    (every workstream has both owners, a cadence exists, escalation contacts are named, the KPI
    targets are recorded: `programs.KpiTarget`), so the checklist can never claim what is not
    true.
    """

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="kickoff")
    held_on = models.DateField(null=True, blank=True, validators=bounds.DATE)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    agenda = models.TextField(blank=True, validators=bounds.TEXT)
    decisions = models.TextField(blank=True, validators=bounds.TEXT)
    baseline_agreed_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    baseline_agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ProgramScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.program.code} kick-off"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class CadenceSchedule(models.Model):
    """The agreed rhythm of calls. Meetings are generated ahead, at the same local time across
    daylight-saving changes."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cadences")
    title = models.CharField(max_length=120, default="Program cadence call", validators=bounds.LINE)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    local_time = models.TimeField()
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES)
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    starts_on = models.DateField(validators=bounds.DATE)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["program", "id"]

    def __str__(self) -> str:
        return f"{self.program.code} {self.get_frequency_display().lower()} {self.title}"


class Meeting(models.Model):
    """One call. Its calendar UID never changes; every change raises `sequence`, so calendar
    clients update the one event instead of adding another.

    The meeting itself is shared (both sides are invited); its minutes and its decisions each
    carry their own audience, internal until the PM shares them.
    """

    SECTIONS = ("minutes", "decisions")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="meetings")
    schedule = models.ForeignKey(
        CadenceSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    title = models.CharField(max_length=200, validators=bounds.LINE)
    occurrence_on = models.DateField(
        null=True,
        blank=True,
        help_text="The cadence slot (a local date) this meeting fills; kept when it is moved, "
        "so that generating ahead never fills the slot twice.",
        validators=bounds.DATE,
    )
    starts_at = models.DateTimeField(db_index=True, validators=bounds.MOMENT)
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="meetings"
    )
    present = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    agenda = models.JSONField(
        default=list, blank=True, help_text="Snapshot of the composed agenda when written up."
    )
    minutes = models.TextField(blank=True, validators=bounds.TEXT)
    minutes_audience = models.CharField(
        max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    decisions = models.TextField(blank=True, validators=bounds.TEXT)
    decisions_audience = models.CharField(
        max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    written_up_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    written_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ProgramScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "starts_at"],
                condition=Q(schedule__isnull=False),
                name="one_meeting_per_schedule_slot",
            ),
            models.UniqueConstraint(
                fields=["schedule", "occurrence_on"],
                condition=Q(schedule__isnull=False, occurrence_on__isnull=False),
                name="one_meeting_per_cadence_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.title} {self.starts_at:%Y-%m-%d}"

    @property
    def local_start(self) -> datetime.datetime:
        """The start in the meeting's own time zone (what the invite says)."""
        return self.starts_at.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    @property
    def when(self) -> str:
        return f"{self.local_start:%a %d %b %Y, %H:%M} ({self.time_zone})"


class ActionItem(models.Model):
    """Something someone agreed to do, by a date. Overdue once the site's day after the due
    date has begun (`portal.clock.is_overdue`), for pages, API and tasks alike."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="action_items")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    title = models.CharField(max_length=250, validators=bounds.LINE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField(validators=bounds.DATE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)

    objects = AudienceQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["program", "status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.program.code} · {self.title}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and clock.is_overdue(self.due_date)


class Risk(models.Model):
    """An entry in the program's risk register: likelihood x impact, each 1 to 5."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATED = "mitigated", "Mitigated"
        OCCURRED = "occurred", "Occurred"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200, validators=bounds.LINE)
    description = models.TextField(blank=True, validators=bounds.TEXT)
    likelihood = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    mitigation = models.TextField(blank=True, validators=bounds.TEXT)
    contingency = models.TextField(
        blank=True, help_text="What we do if it happens.", validators=bounds.TEXT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_risks"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    review_date = models.DateField(validators=bounds.DATE)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AudienceQuerySet.as_manager()

    class Meta:
        ordering = ["program", "-likelihood", "-impact", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5, impact__gte=1, impact__lte=5),
                name="risk_scores_between_1_and_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program.code} · {self.title}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class CalendarFeed(models.Model):
    """A per-user calendar URL. The secret in the URL is the only credential a calendar client
    can send, so it is long, random and can be rotated."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


# Escalations keep their models in their own package; importing them here registers them
# with the governance app.
from governance.escalations.models import (  # noqa: E402
    Escalation,
    EscalationLevel,
    EscalationPath,
    EscalationStep,
)

__all__ = [
    "ActionItem",
    "CadenceSchedule",
    "CalendarFeed",
    "Escalation",
    "EscalationLevel",
    "EscalationPath",
    "EscalationStep",
    "Kickoff",
    "Meeting",
    "Risk",
]
