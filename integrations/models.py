"""Webhook endpoints, their deliveries (one row per endpoint and event: the idempotency key)
and every attempt at sending one."""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal import bounds
from portal.models import Organisation
from programs.models import Event

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
EXCERPT_LIMIT = 1000  # characters of a response body kept in the log


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """A sponsor's own system that wants to hear of their programs' events.

    The secret is kept to sign with (HMAC is symmetric) and shown once, on creation and on
    rotation. After a rotation the previous secret still signs, next to the new one, until
    `previous_secret_expires_at`: receivers switch over without missing a message."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(
        max_length=500,
        validators=bounds.LINE,
        help_text="Where events are POSTed: https, on a public address.",
    )
    description = models.CharField(max_length=200, blank=True, validators=bounds.LINE)
    event_kinds = models.JSONField(
        default=list, help_text="The activity-stream kinds wanted (Event.Kind values)."
    )
    secret = models.CharField(max_length=100, default=new_secret, validators=bounds.LINE)
    previous_secret = models.CharField(max_length=100, blank=True, validators=bounds.LINE)
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, validators=bounds.MOMENT
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    paused_reason = models.CharField(max_length=300, blank=True, validators=bounds.LINE)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(previous_secret="") | Q(previous_secret_expires_at__isnull=False),
                name="webhook_previous_secret_expires",
            ),
        ]

    def __str__(self) -> str:
        return f"Webhook {self.url}"

    def wants(self, kind: str) -> bool:
        return kind in self.event_kinds


class WebhookDelivery(models.Model):
    """One event for one endpoint. Unique per (endpoint, event): queueing twice creates nothing
    more; `webhook_id` is the idempotency key receivers see, the same on every retry and replay.
    The payload is frozen when the row is made, so a retry sends exactly the same bytes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    webhook_id = models.CharField(
        max_length=40, unique=True, default=new_webhook_id, validators=bounds.LINE
    )
    payload = models.TextField(
        help_text="The JSON body, exactly as signed and sent.", validators=bounds.TEXT
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    tries = models.PositiveIntegerField(
        default=0, help_text="Attempts since it was queued or replayed (the retry bound)."
    )
    next_attempt_at = models.DateTimeField(validators=bounds.MOMENT)
    leased_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A worker is sending it until then.",
        validators=bounds.MOMENT,
    )
    replay_requested = models.BooleanField(
        default=False, help_text="The next attempt was asked for from the log."
    )
    delivered_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} → {self.endpoint.url}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as it went."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(
        max_length=EXCERPT_LIMIT, blank=True, validators=bounds.TEXT
    )
    error = models.CharField(max_length=300, blank=True, validators=bounds.LINE)
    replay = models.BooleanField(default=False, help_text="Asked for from the log by a person.")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.delivery.webhook_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class InboundEmail(models.Model):
    """One email that came back to a reply address, and what became of it: a comment, or the
    reason it was refused. Nothing is ever bounced; this row and its audit entry are the
    record. A message id seen before is not handled again (an IMAP mailbox read twice)."""

    class Channel(models.TextChoices):
        POSTMARK = "postmark", "Postmark inbound webhook (django-anymail)"
        IMAP = "imap", "IMAP mailbox"

    class Outcome(models.TextChoices):
        COMMENTED = "commented", "Posted as a comment"
        TOO_LARGE = "too_large", "Refused: larger than the limit"
        BAD_ADDRESS = "bad_address", "Refused: no valid reply address"
        UNKNOWN_SENDER = "unknown_sender", "Refused: the sender is not the addressee"
        NOT_ALLOWED = "not_allowed", "Refused: the sender may not comment there"
        EMPTY = "empty", "Refused: nothing left once quotes and signature were removed"

    received_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    message_id = models.CharField(max_length=300, blank=True, validators=bounds.LINE)
    sender = models.CharField(max_length=254, blank=True, validators=bounds.LINE)
    recipient = models.CharField(max_length=254, blank=True, validators=bounds.LINE)
    size = models.PositiveIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True, validators=bounds.LINE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        "comms.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="inbound_email_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Reply from {self.sender or 'nobody'}: {self.get_outcome_display()}"
