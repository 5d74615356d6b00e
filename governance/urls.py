from django.urls import include, path

from governance.views import actions, calendar, kickoff, meetings, risks

P = "programs/<str:code>/"

urlpatterns = [
    path(P + "kickoff/", kickoff.kickoff, name="kickoff"),
    path(P + "kickoff/record/", kickoff.kickoff_record, name="kickoff-record"),
    path(P + "kickoff/confirm/", kickoff.kickoff_confirm, name="kickoff-confirm"),
    path(P + "kickoff/complete/", kickoff.kickoff_complete, name="kickoff-complete"),
    path(P + "meetings/", meetings.meeting_list, name="meeting-list"),
    path(P + "meetings/new/", meetings.meeting_create, name="meeting-create"),
    path(P + "meetings/<int:pk>/", meetings.meeting_detail, name="meeting-detail"),
    path(P + "meetings/<int:pk>/write-up/", meetings.meeting_write_up, name="meeting-write-up"),
    path(P + "meetings/<int:pk>/share/", meetings.meeting_share, name="meeting-share"),
    path(
        P + "meetings/<int:pk>/reschedule/",
        meetings.meeting_reschedule,
        name="meeting-reschedule",
    ),
    path(P + "meetings/<int:pk>/cancel/", meetings.meeting_cancel, name="meeting-cancel"),
    path(P + "meetings/<int:pk>/invite.ics", meetings.meeting_invite, name="meeting-invite"),
    path(P + "cadence/", meetings.cadence_create, name="cadence-create"),
    path(P + "cadence/<int:pk>/end/", meetings.cadence_end, name="cadence-end"),
    path(P + "actions/", actions.action_list, name="action-list"),
    path(P + "actions/new/", actions.action_create, name="action-create"),
    path(P + "actions/<int:pk>/done/", actions.action_done, name="action-done"),
    path(P + "actions/<int:pk>/share/", actions.action_share, name="action-share"),
    path(P + "risks/", risks.risk_list, name="risk-list"),
    path(P + "risks/new/", risks.risk_create, name="risk-create"),
    path(P + "risks/<int:pk>/", risks.risk_edit, name="risk-edit"),
    path(P + "risks/<int:pk>/share/", risks.risk_share, name="risk-share"),
    path("", include("governance.escalations.urls")),
    path("calendar/<str:secret>.ics", calendar.calendar_feed, name="calendar-feed"),
    path("settings/calendar/", calendar.calendar_settings, name="calendar-settings"),
]
