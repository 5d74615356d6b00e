from django.apps import AppConfig


class DeviationsConfig(AppConfig):
    name = "deviations"

    def ready(self) -> None:
        # What a signature of a deviation binds: registered with portal.signatures, which may
        # not import this app (docs/signatures.md).
        from deviations import signed_content

        signed_content.register()
