from django.contrib import admin

from comms.models import (
    Comment,
    Digest,
    DigestSchedule,
    Notification,
    NotificationPreference,
    Update,
    UpdateRead,
)
from portal.admin import ReadOnlyAdmin


@admin.register(Update)
class UpdateAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "program", "title", "significance", "audience", "author"]
    list_filter = ["significance", "category", "audience"]
    search_fields = ["title", "program__code"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only: an operator sees what waits, what failed (`last_error`) and what was sent."""

    list_display = [
        "created_at",
        "recipient",
        "channel",
        "timing",
        "subject",
        "sent_at",
        "attempts",
        "last_error",
        "read_at",
    ]
    list_filter = ["channel", "timing", "significance"]
    search_fields = ["recipient__email", "subject"]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "recipient", "period", "sent_at", "attempts", "last_error"]
    list_filter = ["period"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "timing"]


@admin.register(DigestSchedule)
class DigestScheduleAdmin(ReadOnlyAdmin):
    list_display = ["user", "hour", "weekday", "enabled"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "program", "author", "is_question", "answered_at", "audience"]
    list_filter = ["is_question", "audience"]


@admin.register(UpdateRead)
class UpdateReadAdmin(ReadOnlyAdmin):
    list_display = ["read_at", "update", "user"]
