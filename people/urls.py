from django.urls import URLPattern, URLResolver, path

from people import views

app_name = "people"

urlpatterns: list[URLPattern | URLResolver] = [
    path("people/", views.people_home, name="home"),
    path("people/review/", views.review_home, name="review"),
    path("people/reviews/", views.review_dashboard, name="review-dashboard"),
    path("people/org/<slug:slug>/", views.organisation_people, name="organisation"),
    path("people/org/<slug:slug>/review/", views.organisation_review, name="organisation-review"),
    path(
        "people/org/<slug:slug>/review/sign-off/",
        views.review_sign_off,
        name="review-sign-off",
    ),
    path("people/org/<slug:slug>/person/<int:pk>/", views.person_edit, name="person"),
    path(
        "people/org/<slug:slug>/person/<int:pk>/deactivate/",
        views.person_deactivate,
        name="person-deactivate",
    ),
    path(
        "people/org/<slug:slug>/person/<int:pk>/reactivate/",
        views.person_reactivate,
        name="person-reactivate",
    ),
    path(
        "people/org/<slug:slug>/invitation/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "people/org/<slug:slug>/invitation/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
