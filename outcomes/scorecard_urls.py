from django.urls import path

from outcomes import scorecard_views

urlpatterns = [
    path("programs/<str:code>/kpis/", scorecard_views.program_kpis, name="program-kpis"),
    path(
        "programs/<str:code>/kpis/targets/",
        scorecard_views.program_kpi_targets,
        name="program-kpi-targets",
    ),
    path("scorecard/", scorecard_views.scorecard_all, name="scorecard"),
    path("scorecard/<slug:slug>/", scorecard_views.scorecard_sponsor, name="scorecard-sponsor"),
]
