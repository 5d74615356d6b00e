from django.urls import path

from comms import conversation_views, history_views, notification_views, views

urlpatterns = [
    path("programs/", views.program_list, name="program-list"),
    path("programs/<str:code>/", views.program_detail, name="program-detail"),
    path("programs/<str:code>/updates/", views.update_create, name="update-create"),
    path("programs/<str:code>/health/", views.program_health, name="program-health"),
    path("workspace/", views.workspace, name="workspace"),
    path(
        "programs/<str:code>/updates/<int:pk>/publish/",
        views.update_publish,
        name="update-publish",
    ),
    path(
        "programs/<str:code>/history/",
        history_views.program_history,
        name="program-history",
    ),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path(
        "notifications/read/",
        notification_views.notifications_mark_read,
        name="notifications-mark-read",
    ),
    path("notifications/bell/", notification_views.notification_bell, name="notification-bell"),
    path(
        "notifications/preferences/",
        notification_views.notification_preferences,
        name="notification-preferences",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        notification_views.digest_unsubscribe,
        name="digest-unsubscribe",
    ),
    path(
        "notifications/<int:pk>/",
        conversation_views.notification_open,
        name="notification-open",
    ),
    path(
        "programs/<str:code>/comments/",
        conversation_views.comment_thread,
        name="comment-thread",
    ),
    path(
        "programs/<str:code>/comments/<int:pk>/share/",
        conversation_views.comment_share,
        name="comment-share",
    ),
    path(
        "programs/<str:code>/questions/",
        conversation_views.program_questions,
        name="program-questions",
    ),
    path("questions/", conversation_views.open_questions, name="open-questions"),
]
