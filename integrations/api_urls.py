from django.urls import path

from integrations import api

urlpatterns = [
    path("webhooks/", api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:id>/", api.WebhookDetailView.as_view(), name="api-webhook"),
    path("webhooks/<int:id>/rotate/", api.WebhookRotateView.as_view(), name="api-webhook-rotate"),
    path("webhooks/<int:id>/pause/", api.WebhookPauseView.as_view(), name="api-webhook-pause"),
    path("webhooks/<int:id>/resume/", api.WebhookResumeView.as_view(), name="api-webhook-resume"),
    path("webhooks/<int:id>/delete/", api.WebhookDeleteView.as_view(), name="api-webhook-delete"),
    path(
        "webhooks/<int:id>/deliveries/",
        api.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/<int:id>/deliveries/<int:delivery_id>/replay/",
        api.WebhookReplayView.as_view(),
        name="api-webhook-replay",
    ),
]
