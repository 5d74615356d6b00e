"""The timeline and the cost page. Mounted before comms' program pages in portal/urls.py."""

from django.urls import path

from programs import views

urlpatterns = [
    path("programs/<str:code>/timeline/", views.timeline, name="program-timeline"),
    path("programs/<str:code>/workstreams/", views.workstream_create, name="workstream-create"),
    path(
        "programs/<str:code>/workstreams/<int:pk>/edit/",
        views.workstream_edit,
        name="workstream-edit",
    ),
    path("programs/<str:code>/milestones/", views.milestone_create, name="milestone-create"),
    path(
        "programs/<str:code>/milestones/<int:pk>/",
        views.milestone_detail,
        name="milestone-detail",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/reschedule/",
        views.milestone_reschedule,
        name="milestone-reschedule",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/rebaseline/",
        views.milestone_rebaseline,
        name="milestone-rebaseline",
    ),
    path(
        "programs/<str:code>/milestones/<int:pk>/complete/",
        views.milestone_complete,
        name="milestone-complete",
    ),
    path("programs/<str:code>/costs/", views.costs, name="program-costs"),
    path("programs/<str:code>/costs/budget/", views.budget_set, name="budget-set"),
    path("programs/<str:code>/costs/lines/", views.cost_line_create, name="cost-line-create"),
    path("programs/<str:code>/costs/invoices/", views.invoice_create, name="invoice-create"),
    path(
        "programs/<str:code>/change-orders/",
        views.change_order_create,
        name="change-order-create",
    ),
    path(
        "programs/<str:code>/change-orders/<str:reference>/",
        views.change_order_detail,
        name="change-order-detail",
    ),
    path(
        "programs/<str:code>/change-orders/<str:reference>/decision/",
        views.change_order_decide,
        name="change-order-decide",
    ),
]
