from django.urls import path

from outcomes.api import bundles, exports, jobs, reports

urlpatterns = [
    path("jobs/<str:id>/", jobs.JobDetailView.as_view(), name="api-job-detail"),
    path("jobs/<str:id>/download/", jobs.JobDownloadView.as_view(), name="api-job-download"),
    path(
        "programs/<str:code>/bundles/",
        bundles.ProgramBundlesView.as_view(),
        name="api-program-bundles",
    ),
    path(
        "programs/<str:code>/reports/",
        reports.ReportRequestView.as_view(),
        name="api-program-reports",
    ),
    path(
        "programs/<str:code>/exports/<str:name>/",
        exports.ExportView.as_view(),
        name="api-program-export",
    ),
]
