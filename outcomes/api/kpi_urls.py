from django.urls import path

from outcomes.api import kpis

urlpatterns = [
    path(
        "programs/<str:code>/status/",
        kpis.ProgramStatusView.as_view(),
        name="api-program-status",
    ),
    path("programs/<str:code>/kpis/", kpis.ProgramKpiListView.as_view(), name="api-program-kpis"),
    path(
        "programs/<str:code>/kpis/<str:kpi>/records/",
        kpis.ProgramKpiRecordsView.as_view(),
        name="api-program-kpi-records",
    ),
]
