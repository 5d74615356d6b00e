from django.urls import path

from governance.api import views

urlpatterns = [
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
