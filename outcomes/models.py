"""Background jobs that build files: monthly reports, large list exports, inspection bundles."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from portal import access
from programs.models import Program


class JobQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> models.QuerySet[Job]:
        """A job's file is built for the person who asked, with what they may see; nobody
        else reads it (a colleague asks for their own). Its program must still be visible to
        them: losing access to a program loses its files too."""
        mine = self.filter(requested_by_id=getattr(user, "pk", None))
        return access.scope(mine, user, sponsor_path="sponsor_id", program_path="program_id")


class Job(models.Model):
    """A file built by a Celery task, with its progress, for the person who asked for it.

    The inputs (`kind`, `program`, the period and `params`) decide the file: building again
    from the same records gives the same bytes (`sha256`), so a report for a past period can be
    reproduced. Creating a job and every download are audited.
    """

    class Kind(models.TextChoices):
        REPORT = "report", "Monthly program report (PDF)"
        EXPORT = "export", "List export"
        BUNDLE = "bundle", "Inspection bundle"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    FINISHED = (State.DONE, State.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sponsor = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs"
    )
    audience = models.CharField(
        max_length=10,
        choices=access.Audience.choices,
        help_text="What the file may hold: internal items only when the requester may see them.",
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True, help_text="Exclusive.")
    params = models.JSONField(default=dict, blank=True, help_text="What else decides the file.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    step = models.CharField(max_length=200, blank=True, help_text="What the task is doing now.")
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done") | (Q(sha256__regex=r"^[0-9a-f]{64}$") & Q(size__gte=0)),
                name="finished_job_has_its_file",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gt=models.F("period_start")),
                name="job_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        where = self.program.code if self.program is not None else "all programs"
        return f"{self.get_kind_display()} · {where} · {self.get_state_display()}"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED
