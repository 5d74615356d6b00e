from django.urls import path

from governance import views

P = "programs/<str:code>/"

urlpatterns = [
    path(P + "kickoff/", views.kickoff, name="kickoff"),
    path(P + "kickoff/record/", views.kickoff_record, name="kickoff-record"),
    path(P + "kickoff/confirm/", views.kickoff_confirm, name="kickoff-confirm"),
    path(P + "kickoff/complete/", views.kickoff_complete, name="kickoff-complete"),
    path(P + "meetings/", views.meeting_list, name="meeting-list"),
    path(P + "meetings/new/", views.meeting_create, name="meeting-create"),
    path(P + "meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path(P + "meetings/<int:pk>/write-up/", views.meeting_write_up, name="meeting-write-up"),
    path(P + "meetings/<int:pk>/reschedule/", views.meeting_reschedule, name="meeting-reschedule"),
    path(P + "meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path(P + "meetings/<int:pk>/invite.ics", views.meeting_invite, name="meeting-invite"),
    path(P + "cadence/", views.cadence_create, name="cadence-create"),
    path(P + "cadence/<int:pk>/end/", views.cadence_end, name="cadence-end"),
    path(P + "actions/", views.action_list, name="action-list"),
    path(P + "actions/new/", views.action_create, name="action-create"),
    path(P + "actions/<int:pk>/done/", views.action_done, name="action-done"),
    path(P + "risks/", views.risk_list, name="risk-list"),
    path(P + "risks/new/", views.risk_create, name="risk-create"),
    path(P + "risks/<int:pk>/", views.risk_edit, name="risk-edit"),
    path("calendar/<str:secret>.ics", views.calendar_feed, name="calendar-feed"),
    path("settings/calendar/", views.calendar_settings, name="calendar-settings"),
]
