from django.contrib import admin

from comms.models import Notification, Update


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["created_at", "program", "title", "significance", "audience", "author"]
    list_filter = ["significance", "category", "audience"]
    search_fields = ["title", "program__code"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "channel", "subject", "read_at"]
    list_filter = ["channel"]
