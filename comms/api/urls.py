from django.urls import path

from comms.api import conversations, views

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
]
