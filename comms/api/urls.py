from django.urls import path

from comms.api import views

urlpatterns = [
    path(
        "programs/<str:code>/status/",
        views.ProgramStatusView.as_view(),
        name="api-program-status",
    ),
    path(
        "programs/<str:code>/updates/",
        views.ProgramUpdateListView.as_view(),
        name="api-program-updates",
    ),
]
