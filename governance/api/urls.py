from django.urls import path

from governance.api import views
from governance.escalations import api as escalations

urlpatterns = [
    path("escalations/", escalations.EscalationListView.as_view(), name="api-escalation-list"),
    path(
        "escalations/<str:reference>/",
        escalations.EscalationDetailView.as_view(),
        name="api-escalation-detail",
    ),
    path(
        "escalations/<str:reference>/acknowledge/",
        escalations.EscalationAcknowledgeView.as_view(),
        name="api-escalation-acknowledge",
    ),
    path(
        "escalations/<str:reference>/assign/",
        escalations.EscalationAssignView.as_view(),
        name="api-escalation-assign",
    ),
    path(
        "escalations/<str:reference>/resolve/",
        escalations.EscalationResolveView.as_view(),
        name="api-escalation-resolve",
    ),
    path(
        "programs/<str:code>/escalations/",
        escalations.ProgramEscalationRaiseView.as_view(),
        name="api-program-escalation-raise",
    ),
    path(
        "escalation-paths/<str:code>/",
        escalations.EscalationPathView.as_view(),
        name="api-escalation-path",
    ),
    path("meetings/", views.MeetingListView.as_view(), name="api-meeting-list"),
    path("meetings/<str:uid>/", views.MeetingDetailView.as_view(), name="api-meeting-detail"),
    path("action-items/", views.ActionItemListView.as_view(), name="api-action-item-list"),
    path(
        "action-items/<int:pk>/complete/",
        views.ActionItemCompleteView.as_view(),
        name="api-action-item-complete",
    ),
    path(
        "programs/<str:code>/risks/",
        views.ProgramRiskListView.as_view(),
        name="api-program-risks",
    ),
    path(
        "programs/<str:code>/kickoff/",
        views.ProgramKickoffView.as_view(),
        name="api-program-kickoff",
    ),
]
