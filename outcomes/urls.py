from django.urls import URLPattern, URLResolver, path

from outcomes import views

app_name = "outcomes"

urlpatterns: list[URLPattern | URLResolver] = [
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:pk>/download/", views.job_file, name="job-download"),
    path("programs/<str:code>/bundle/", views.program_bundle, name="program-bundle"),
]
