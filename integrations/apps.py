from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Webhooks to sponsors' own systems and replies by email: the portal's doors to the
    outside, above every other app (it reads their records, none of them imports it)."""

    name = "integrations"
