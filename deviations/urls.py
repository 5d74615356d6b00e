from django.urls import path

from deviations import views

urlpatterns = [
    path("deviations/", views.deviation_list, name="deviation-list"),
    path("deviations/queue/", views.triage_queue, name="deviation-queue"),
    path("deviations/<str:reference>/", views.deviation_detail, name="deviation-detail"),
    path(
        "deviations/<str:reference>/acknowledge/",
        views.deviation_acknowledge,
        name="deviation-acknowledge",
    ),
    path(
        "deviations/<str:reference>/transition/",
        views.deviation_transition,
        name="deviation-transition",
    ),
    path(
        "deviations/<str:reference>/work/<slug:step>/",
        views.deviation_work,
        name="deviation-work",
    ),
    path("deviations/<str:reference>/audit/", views.deviation_audit, name="deviation-audit"),
    path("programs/<str:code>/deviations/new/", views.deviation_new, name="deviation-new"),
]
