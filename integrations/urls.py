from django.urls import path

from integrations import views
from integrations.mailboxes import PostmarkReplyView

urlpatterns = [
    # Postmark's inbound webhook (replies by email), authenticated by its basic-auth secret.
    path("inbound/email/postmark/", PostmarkReplyView.as_view(), name="inbound-email-postmark"),
    path("settings/webhooks/", views.webhook_list, name="webhook-list"),
    path("integrations/webhooks/", views.webhook_overview, name="webhook-overview"),
    path("settings/webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("settings/webhooks/<int:pk>/rotate/", views.webhook_rotate, name="webhook-rotate"),
    path("settings/webhooks/<int:pk>/pause/", views.webhook_pause, name="webhook-pause"),
    path("settings/webhooks/<int:pk>/resume/", views.webhook_resume, name="webhook-resume"),
    path("settings/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery>/replay/",
        views.webhook_replay,
        name="webhook-replay",
    ),
]
