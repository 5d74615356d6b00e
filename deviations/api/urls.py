from django.urls import path

from deviations.api import views

urlpatterns = [
    path(
        "quality-agreements/",
        views.QualityAgreementListView.as_view(),
        name="api-quality-agreement-list",
    ),
    path("deviations/", views.DeviationListView.as_view(), name="api-deviation-list"),
    path(
        "deviations/<str:reference>/",
        views.DeviationDetailView.as_view(),
        name="api-deviation-detail",
    ),
    path(
        "deviations/<str:reference>/acknowledge/",
        views.DeviationAcknowledgeView.as_view(),
        name="api-deviation-acknowledge",
    ),
    path(
        "deviations/<str:reference>/transition/",
        views.DeviationTransitionView.as_view(),
        name="api-deviation-transition",
    ),
    path(
        "deviations/<str:reference>/audit/",
        views.DeviationAuditView.as_view(),
        name="api-deviation-audit",
    ),
    path(
        "deviations/<str:reference>/capas/",
        views.DeviationCAPAListView.as_view(),
        name="api-deviation-capas",
    ),
    path(
        "deviations/<str:reference>/capas/<int:number>/complete/",
        views.DeviationCAPACompleteView.as_view(),
        name="api-deviation-capa-complete",
    ),
    path(
        "deviations/<str:reference>/root-causes/",
        views.DeviationRootCauseListView.as_view(),
        name="api-deviation-root-causes",
    ),
]
