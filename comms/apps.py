from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"

    def ready(self) -> None:
        from comms.agenda import SECTION_NAME, open_questions_section
        from governance.agenda import register_section

        register_section(SECTION_NAME, open_questions_section)
