from django.urls import path

from outcomes.api import bundles, jobs

urlpatterns = [
    path("jobs/<str:id>/", jobs.JobDetailView.as_view(), name="api-job-detail"),
    path("jobs/<str:id>/download/", jobs.JobDownloadView.as_view(), name="api-job-download"),
    path(
        "programs/<str:code>/bundles/",
        bundles.ProgramBundlesView.as_view(),
        name="api-program-bundles",
    ),
]
