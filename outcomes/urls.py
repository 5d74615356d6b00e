from django.urls import URLPattern, URLResolver, path

from outcomes import export_views, report_views, views

app_name = "outcomes"

urlpatterns: list[URLPattern | URLResolver] = [
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:pk>/download/", views.job_file, name="job-download"),
    path("programs/<str:code>/bundle/", views.program_bundle, name="program-bundle"),
    path(
        "programs/<str:code>/reports/",
        report_views.program_report_latest,
        name="program-report-latest",
    ),
    path(
        "programs/<str:code>/reports/<str:month>/",
        report_views.program_report,
        name="program-report",
    ),
    path(
        "programs/<str:code>/reports/<str:month>/pdf/",
        report_views.program_report_pdf,
        name="program-report-pdf",
    ),
    path("programs/<str:code>/exports/", export_views.program_exports, name="program-exports"),
    path(
        "programs/<str:code>/exports/<slug:name>/",
        export_views.program_export,
        name="program-export",
    ),
]
