"""Invitations and the quarterly access review."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal import bounds
from portal.models import Membership, Organisation


class Invitation(models.Model):
    """An invitation to join one organisation, by email: a single-use link with an expiry.
    Only a hash of the link's token is stored; the token itself is only in the email."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(help_text="Where the invitation goes; the person signs in with it.")
    role = models.CharField(max_length=12, choices=Membership.Role.choices)
    all_programs = models.BooleanField(
        "sees all programs",
        default=True,
        help_text="Sponsor people only: unticked, the person sees only the programs chosen.",
    )
    programs = models.ManyToManyField("programs.Program", blank=True, related_name="+")
    access_ends_on = models.DateField(
        "access ends on",
        null=True,
        blank=True,
        validators=bounds.DATE,
        help_text="The last day of access (the contract's end), site time. Empty: no end date.",
    )
    token_hash = models.CharField(max_length=64, unique=True, validators=bounds.LINE)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, validators=bounds.MOMENT)
    sent_at = models.DateTimeField(default=timezone.now, validators=bounds.MOMENT)
    expires_at = models.DateTimeField(validators=bounds.MOMENT)
    accepted_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="people_invitation_accepted_or_revoked",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organisation}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def status_at(self, at: datetime.datetime) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if at >= self.expires_at:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class AccessReview(models.Model):
    """One sponsor organisation's access review of one calendar quarter (site calendar):
    the lead confirms or removes each person, then signs it off (21 CFR 11.10(d), EU GMP
    Annex 11 §12)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="access_reviews"
    )
    quarter_start = models.DateField(
        help_text="The first day of the quarter reviewed.", validators=bounds.DATE
    )
    signed_off_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_reminder_sent_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    overdue_reminder_sent_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)

    class Meta:
        ordering = ["-quarter_start", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "quarter_start"], name="people_one_review_per_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} access review {self.label}"

    @property
    def label(self) -> str:
        return f"{self.quarter_start.year} Q{(self.quarter_start.month - 1) // 3 + 1}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class AccessReviewDecision(models.Model):
    """What the lead decided about one person in one review: access confirmed, or removed."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", "Access confirmed"
        REMOVED = "removed", "Access removed"

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="decisions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now, validators=bounds.MOMENT)
    role = models.CharField(
        max_length=12, help_text="The person's role when decided.", validators=bounds.LINE
    )
    programs = models.CharField(
        max_length=500,
        blank=True,
        help_text="The person's program grants when decided.",
        validators=bounds.LINE,
    )

    class Meta:
        ordering = ["review", "user__display_name"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="people_one_decision_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.user} ({self.review.label})"
