from django.urls import path

from governance.escalations import views

urlpatterns = [
    path("leadership/escalations/", views.leadership_escalations, name="leadership-escalations"),
    path(
        "leadership/escalations/<int:pk>/acknowledge/",
        views.escalation_acknowledge,
        name="escalation-acknowledge",
    ),
    path(
        "leadership/escalations/<int:pk>/assign/",
        views.escalation_assign,
        name="escalation-assign",
    ),
    path(
        "leadership/escalations/<int:pk>/resolve/",
        views.escalation_resolve,
        name="escalation-resolve",
    ),
    path("leadership/portfolio/", views.leadership_portfolio, name="leadership-portfolio"),
    path("programs/<str:code>/escalations/", views.program_escalations, name="program-escalations"),
    path(
        "programs/<str:code>/escalations/raise/",
        views.program_escalation_raise,
        name="program-escalation-raise",
    ),
]
