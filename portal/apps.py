from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"

    def ready(self) -> None:
        # Connects the receivers of Django's auth signals (see the module's docstring).
        from portal import auth_events  # noqa: F401
