from django.urls import path

from comms import views

urlpatterns = [
    path("programs/", views.program_list, name="program-list"),
    path("programs/<str:code>/", views.program_detail, name="program-detail"),
    path("programs/<str:code>/updates/", views.update_create, name="update-create"),
    path(
        "programs/<str:code>/updates/<int:pk>/publish/",
        views.update_publish,
        name="update-publish",
    ),
    path("notifications/", views.notification_list, name="notification-list"),
]
