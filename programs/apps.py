from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"

    def ready(self) -> None:
        # What QA's signature of a batch binds: registered with portal.signatures, which may
        # not import this app (docs/signatures.md).
        from programs import signed_content

        signed_content.register()
