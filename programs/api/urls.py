from django.urls import path

from programs.api import views

urlpatterns = [
    path("programs/", views.ProgramListView.as_view(), name="api-program-list"),
    path("programs/<str:code>/", views.ProgramDetailView.as_view(), name="api-program-detail"),
]
