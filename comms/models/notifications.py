"""Notifications, each person's preferences for them, and the digests that gather them.

A notification is a row first: one per (event, recipient, channel), which is its idempotency
key. The in-app row is the inbox entry; the email row goes out through the outbox
(`comms.outbox`) at once, or waits for its recipient's daily or weekly digest.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from comms.outbox import Deliverable
from portal import bounds
from programs.models import Event

SIGNIFICANCES = [("info", "Info"), ("notable", "Notable"), ("critical", "Critical")]


class Timing(models.TextChoices):
    """When a person hears of something by email."""

    IMMEDIATELY = "immediately", "Immediately"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "Off"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_recipient(self, user: object) -> NotificationQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient_id=getattr(user, "pk", None))

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def in_app(self) -> NotificationQuerySet:
        return self.filter(channel=Notification.Channel.IN_APP)


class Notification(Deliverable):
    """One message to one person about one thing, on one channel. Unique per (event,
    recipient, channel), so a repeated fan-out, task or sweep finds the row and does nothing
    twice. Rows from before the activity stream fed notifications are about an update or a
    comment alone; a row about an event may also name the update or comment it concerns, so
    that the older paths and the fan-out never give one person the same news twice."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In-app"
        EMAIL = "email", "Email"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="The activity-stream event the notification is about.",
    )
    update = models.ForeignKey(
        "Update", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    comment = models.ForeignKey(
        "Comment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="Set for a notification about a comment (an answer to the recipient's question).",
    )
    subject = models.CharField(max_length=250)
    url = models.CharField(max_length=300)
    significance = models.CharField(max_length=10, choices=SIGNIFICANCES, default="info")
    timing = models.CharField(
        max_length=12,
        choices=Timing.choices,
        default=Timing.IMMEDIATELY,
        help_text="For email: sent at once, or gathered into the recipient's digest.",
    )
    digest = models.ForeignKey(
        "Digest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="The digest that carried it (digest timings only).",
    )
    read_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True, channel="email", timing="immediately"),
                name="notification_email_waiting",
            ),
            models.Index(
                fields=["recipient", "timing"],
                condition=Q(sent_at__isnull=True, digest__isnull=True, channel="email")
                & Q(timing__in=["daily", "weekly"]),
                name="notification_digest_waiting",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"],
                condition=Q(event__isnull=False),
                name="one_notification_per_event_and_channel",
            ),
            models.UniqueConstraint(
                fields=["recipient", "channel", "update"],
                condition=Q(update__isnull=False),
                name="one_notification_per_channel",
            ),
            models.UniqueConstraint(
                fields=["recipient", "channel", "comment"],
                condition=Q(comment__isnull=False),
                name="one_comment_notification_per_channel",
            ),
            models.CheckConstraint(
                condition=~Q(update__isnull=False, comment__isnull=False)
                & ~Q(event__isnull=True, update__isnull=True, comment__isnull=True),
                name="notification_about_exactly_one_thing",
            ),
            models.CheckConstraint(
                condition=Q(channel="email") | Q(timing="immediately"),
                name="in_app_notifications_are_immediate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.subject}"

    @property
    def key(self) -> str:
        """The idempotency key: what the Message-ID of its email is made of."""
        about = f"e{self.event_id}" if self.event_id else f"u{self.update_id}c{self.comment_id}"
        return f"{about}.r{self.recipient_id}.{self.channel}"


class NotificationPreference(models.Model):
    """How one person wants to hear by email of one kind of event. Without a row the default
    of the event's significance applies (`DEFAULT_TIMING`); critical events always go out at
    once, whatever the preference. The bell and the notifications page show everything."""

    DEFAULT_TIMING = {
        "info": Timing.DAILY,
        "notable": Timing.IMMEDIATELY,
        "critical": Timing.IMMEDIATELY,
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Event.Kind.choices)
    timing = models.CharField(max_length=12, choices=Timing.choices)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} → {self.timing}"

    @classmethod
    def timing_for(cls, chosen: str | None, significance: str) -> str:
        """The email timing for an event of `significance` given the person's choice for its
        kind (None: no choice made)."""
        if significance == "critical":
            return Timing.IMMEDIATELY
        return chosen or cls.DEFAULT_TIMING.get(significance, Timing.IMMEDIATELY)


class DigestSchedule(models.Model):
    """When a person's digests go out, in their own time zone (`User.time_zone`)."""

    DEFAULT_HOUR = 8
    DEFAULT_WEEKDAY = 0  # Monday

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_schedule"
    )
    hour = models.PositiveSmallIntegerField(
        default=DEFAULT_HOUR,
        validators=[MaxValueValidator(23)],
        help_text="Hour of the day (0-23) in your time zone when digests are sent.",
    )
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices,
        default=DEFAULT_WEEKDAY,
        help_text="Day of the week for the weekly digest.",
    )
    enabled = models.BooleanField(
        default=True,
        help_text="Off after a one-click unsubscribe: what would go in a digest is not emailed.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="digest_hour_in_a_day"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="digest_weekday_in_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.hour:02d}:00, weekly on {self.get_weekday_display()}"


class Digest(Deliverable):
    """One email gathering a person's waiting notifications for one period. Unique per
    (recipient, period, due_at), so a repeated sweep never sends a period twice."""

    class Period(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    period = models.CharField(max_length=8, choices=Period.choices)
    due_at = models.DateTimeField(help_text="The recipient's digest hour this digest is for.")

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "period", "due_at"], name="one_digest_per_period"
            )
        ]

    def __str__(self) -> str:
        period = self.get_period_display()
        return f"{period} digest for {self.recipient} at {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def key(self) -> str:
        return f"digest.{self.period}.r{self.recipient_id}.{self.due_at:%Y%m%d%H}"
