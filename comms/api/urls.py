from django.urls import path

from comms.api import conversations, notifications, views

urlpatterns = [
    path(
        "programs/<str:code>/updates/",
        views.ProgramUpdateListView.as_view(),
        name="api-program-updates",
    ),
    path(
        "programs/<str:code>/comments/",
        conversations.ProgramCommentListView.as_view(),
        name="api-program-comments",
    ),
    path(
        "programs/<str:code>/comments/<int:id>/answer/",
        conversations.CommentAnswerView.as_view(),
        name="api-comment-answer",
    ),
    path(
        "programs/<str:code>/questions/",
        conversations.ProgramQuestionListView.as_view(),
        name="api-program-questions",
    ),
    path(
        "notifications/",
        notifications.NotificationListView.as_view(),
        name="api-notification-list",
    ),
    path(
        "notifications/read/",
        notifications.NotificationReadAllView.as_view(),
        name="api-notifications-read",
    ),
    path(
        "notifications/<int:id>/read/",
        notifications.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
    path(
        "notification-preferences/",
        notifications.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
]
