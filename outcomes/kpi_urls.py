from django.urls import path

from outcomes import kpi_views

urlpatterns = [
    path(
        "programs/<str:code>/kpis/<str:kpi>/",
        kpi_views.kpi_records,
        name="program-kpi-records",
    ),
]
