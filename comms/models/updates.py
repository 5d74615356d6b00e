"""Proactive updates, their read receipts, and the comments and questions on program records."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal import bounds, clock
from portal.access import Audience
from programs.models import Program
from programs.querysets import AudienceQuerySet


class Update(models.Model):
    """A proactive program update: something worth knowing, not only a milestone report."""

    class Category(models.TextChoices):
        MILESTONE = "milestone", "Milestone"
        DEVIATION = "deviation", "Deviation"
        SUPPLY = "supply", "Supply"
        REGULATORY = "regulatory", "Regulatory"
        FINANCIAL = "financial", "Financial"
        GENERAL = "general", "General"

    class Significance(models.TextChoices):
        INFO = "info", "Info"
        NOTABLE = "notable", "Notable"
        CRITICAL = "critical", "Critical"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="updates")
    title = models.CharField(max_length=200, validators=bounds.LINE)
    body = models.TextField(validators=bounds.TEXT)
    category = models.CharField(max_length=12, choices=Category.choices, default=Category.GENERAL)
    significance = models.CharField(
        max_length=10, choices=Significance.choices, default=Significance.INFO
    )
    audience = models.CharField(
        max_length=10,
        choices=Audience.choices,
        default=Audience.INTERNAL,
        help_text="Internal until someone decides the sponsor should see it (fail closed).",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates",
        help_text="Empty for updates the portal posted itself.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the sponsor could first see it.",
        validators=bounds.MOMENT,
    )
    source_event = models.OneToOneField(
        "programs.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="announcement",
        help_text="Set when the update was posted automatically for an event (e.g. a slip).",
    )

    objects = AudienceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["program", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="internal") | Q(published_at__isnull=False),
                name="sponsor_update_has_published_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program.code}: {self.title}"


class UpdateRead(models.Model):
    """A read receipt: the PM sees which sponsor users have read a critical update."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "user"], name="one_read_receipt_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.update_id}"


class Comment(models.Model):
    """A message on an update, milestone, meeting or deviation. A sponsor question stays open
    until the CDMO answers it; the time it took is stored, and a question still open after
    `ANSWER_WINDOW_HOURS` counts against the program's health."""

    ANSWER_WINDOW_HOURS = 48

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="comments")
    update = models.ForeignKey(
        Update, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    milestone = models.ForeignKey(
        "programs.Milestone",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    meeting = models.ForeignKey(
        "governance.Meeting",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    deviation = models.ForeignKey(
        "deviations.Deviation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(validators=bounds.TEXT)
    audience = models.CharField(
        max_length=10,
        choices=Audience.choices,
        default=Audience.INTERNAL,
        help_text="Internal until someone decides the sponsor should see it (fail closed).",
    )
    is_question = models.BooleanField(default=False)
    answer_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    answered_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    answer_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time from question to first CDMO answer."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AudienceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        update__isnull=False,
                        milestone__isnull=True,
                        meeting__isnull=True,
                        deviation__isnull=True,
                    )
                    | Q(
                        update__isnull=True,
                        milestone__isnull=False,
                        meeting__isnull=True,
                        deviation__isnull=True,
                    )
                    | Q(
                        update__isnull=True,
                        milestone__isnull=True,
                        meeting__isnull=False,
                        deviation__isnull=True,
                    )
                    | Q(
                        update__isnull=True,
                        milestone__isnull=True,
                        meeting__isnull=True,
                        deviation__isnull=False,
                    )
                ),
                name="comment_on_exactly_one_thing",
            ),
            models.CheckConstraint(
                condition=Q(is_question=False) | Q(audience="sponsor"),
                name="questions_are_visible_to_both_sides",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code}: {self.body[:40]}"

    @property
    def is_open_question(self) -> bool:
        return self.is_question and self.answered_at is None

    @classmethod
    def answer_due_after(cls, asked_at: datetime.datetime) -> datetime.datetime:
        """When a question asked at `asked_at` should have been answered, on the one clock."""
        return clock.due_at(asked_at, cls.ANSWER_WINDOW_HOURS, clock.Unit.HOURS)

    @property
    def answer_due(self) -> datetime.datetime | None:
        return self.answer_due_after(self.created_at) if self.is_question else None

    @property
    def is_waiting_too_long(self) -> bool:
        """An open question past its answer window: what the CDMO team answers first."""
        due = self.answer_due
        return self.is_open_question and due is not None and clock.clock_state(due).overdue

    @property
    def target(self) -> models.Model | None:
        """The update, milestone, meeting or deviation the comment is on (no query once
        selected)."""
        return self.update or self.milestone or self.meeting or self.deviation

    @property
    def target_kind(self) -> str:
        """`update`, `milestone`, `meeting` or `deviation`: the query parameter that names the
        thread."""
        if self.update_id is not None:
            return "update"
        if self.milestone_id is not None:
            return "milestone"
        return "meeting" if self.meeting_id is not None else "deviation"

    @property
    def target_id(self) -> int:
        pk = self.update_id or self.milestone_id or self.meeting_id or self.deviation_id
        return pk  # type: ignore[return-value]
