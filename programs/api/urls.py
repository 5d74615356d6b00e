from django.urls import path

from programs.api import batches, costs, feed, timeline, views

urlpatterns = [
    path("events/", feed.ChangeFeedView.as_view(), name="api-change-feed"),
    path("programs/", views.ProgramListView.as_view(), name="api-program-list"),
    path("programs/<str:code>/", views.ProgramDetailView.as_view(), name="api-program-detail"),
    path(
        "programs/<str:code>/workstreams/",
        timeline.WorkstreamListView.as_view(),
        name="api-program-workstreams",
    ),
    path(
        "programs/<str:code>/milestones/",
        timeline.MilestoneListView.as_view(),
        name="api-program-milestones",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/reschedule/",
        timeline.MilestoneRescheduleView.as_view(),
        name="api-milestone-reschedule",
    ),
    path(
        "programs/<str:code>/change-orders/",
        costs.ChangeOrderListView.as_view(),
        name="api-program-change-orders",
    ),
    path(
        "programs/<str:code>/change-orders/<str:reference>/decision/",
        costs.ChangeOrderDecisionView.as_view(),
        name="api-change-order-decision",
    ),
    path("programs/<str:code>/costs/", costs.CostSummaryView.as_view(), name="api-program-costs"),
    path(
        "programs/<str:code>/batches/",
        batches.BatchListView.as_view(),
        name="api-program-batches",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/",
        batches.BatchDetailView.as_view(),
        name="api-batch-detail",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/plan/",
        batches.BatchPlanView.as_view(),
        name="api-batch-plan",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/rework/",
        batches.BatchReworkView.as_view(),
        name="api-batch-rework",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/disposition/",
        batches.BatchDecisionView.as_view(),
        name="api-batch-disposition",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/delivery/",
        batches.BatchDeliveryView.as_view(),
        name="api-batch-delivery",
    ),
]
