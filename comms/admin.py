from django.contrib import admin

from comms.models import Comment, Notification, Update, UpdateRead
from portal.admin import ReadOnlyAdmin


@admin.register(Update)
class UpdateAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "program", "title", "significance", "audience", "author"]
    list_filter = ["significance", "category", "audience"]
    search_fields = ["title", "program__code"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "channel", "subject", "read_at"]
    list_filter = ["channel"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "program", "author", "is_question", "answered_at", "audience"]
    list_filter = ["is_question", "audience"]


@admin.register(UpdateRead)
class UpdateReadAdmin(ReadOnlyAdmin):
    list_display = ["read_at", "update", "user"]
