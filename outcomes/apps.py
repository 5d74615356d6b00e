from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """What the partnership delivers, measured: KPIs computed from the records, the
    scorecard, monthly reports, list exports and the inspection bundle. It reads every other
    app's records and none of them imports it."""

    name = "outcomes"
