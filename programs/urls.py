"""The timeline and the cost page. Mounted before comms' program pages in portal/urls.py."""

from django.urls import path

from programs.views import batches, change_orders, costs, milestones, timeline

urlpatterns = [
    path("programs/<str:code>/timeline/", timeline.timeline, name="program-timeline"),
    path("programs/<str:code>/workstreams/", timeline.workstream_create, name="workstream-create"),
    path(
        "programs/<str:code>/workstreams/<int:pk>/edit/",
        timeline.workstream_edit,
        name="workstream-edit",
    ),
    path("programs/<str:code>/milestones/", timeline.milestone_create, name="milestone-create"),
    path(
        "programs/<str:code>/milestones/<int:pk>/",
        milestones.milestone_detail,
        name="milestone-detail",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/reschedule/",
        milestones.milestone_reschedule,
        name="milestone-reschedule",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/rebaseline/",
        milestones.milestone_rebaseline,
        name="milestone-rebaseline",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/complete/",
        milestones.milestone_complete,
        name="milestone-complete",
    ),
    path("programs/<str:code>/batches/", batches.batch_list, name="batch-list"),
    path("programs/<str:code>/batches/<str:lot>/", batches.batch_detail, name="batch-detail"),
    path("programs/<str:code>/batches/<str:lot>/plan/", batches.batch_plan, name="batch-plan"),
    path(
        "programs/<str:code>/batches/<str:lot>/rework/",
        batches.batch_rework,
        name="batch-rework",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/decision/",
        batches.batch_decide,
        name="batch-decide",
    ),
    path(
        "programs/<str:code>/batches/<str:lot>/delivery/",
        batches.batch_deliver,
        name="batch-deliver",
    ),
    path("programs/<str:code>/costs/", costs.costs, name="program-costs"),
    path("programs/<str:code>/costs/budget/", costs.budget_set, name="budget-set"),
    path("programs/<str:code>/costs/lines/", costs.cost_line_create, name="cost-line-create"),
    path(
        "programs/<str:code>/costs/lines/<int:pk>/share/",
        costs.cost_line_share,
        name="cost-line-share",
    ),
    path("programs/<str:code>/costs/invoices/", costs.invoice_create, name="invoice-create"),
    path(
        "programs/<str:code>/change-orders/",
        change_orders.change_order_create,
        name="change-order-create",
    ),
    path(
        "programs/<str:code>/change-orders/<str:reference>/",
        change_orders.change_order_detail,
        name="change-order-detail",
    ),
    path(
        "programs/<str:code>/change-orders/<str:reference>/decision/",
        change_orders.change_order_decide,
        name="change-order-decide",
    ),
]
