"""Read-only admin views: governance records change through the services (permission checks,
audit trail, events and calendar updates), never by editing rows here."""

from django.contrib import admin

from governance.models import ActionItem, CadenceSchedule, CalendarFeed, Kickoff, Meeting, Risk
from portal.admin import ReadOnlyAdmin


@admin.register(Kickoff)
class KickoffAdmin(ReadOnlyAdmin):
    list_display = ["program", "held_on", "completed_at", "completed_by"]
    search_fields = ["program__code"]


@admin.register(CadenceSchedule)
class CadenceScheduleAdmin(ReadOnlyAdmin):
    list_display = ["program", "title", "frequency", "weekday", "local_time", "time_zone", "active"]
    list_filter = ["frequency", "active"]
    search_fields = ["program__code", "title"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["program", "title", "starts_at", "time_zone", "status", "sequence", "uid"]
    list_filter = ["status"]
    search_fields = ["program__code", "title", "uid"]
    date_hierarchy = "starts_at"


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["program", "title", "owner", "due_date", "status"]
    list_filter = ["status"]
    search_fields = ["program__code", "title"]


@admin.register(Risk)
class RiskAdmin(ReadOnlyAdmin):
    list_display = ["program", "title", "likelihood", "impact", "status", "review_date"]
    list_filter = ["status"]
    search_fields = ["program__code", "title"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """The secret is a credential: it is not shown here."""

    list_display = ["user", "created_at"]
    fields = ["user", "created_at"]
