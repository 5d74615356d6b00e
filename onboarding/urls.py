from django.urls import URLPattern, URLResolver, path

from onboarding import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("onboarding/", views.sponsor_list, name="onboarding-sponsors"),
    path("onboarding/sponsors/new/", views.sponsor_create, name="onboarding-sponsor-new"),
    path("onboarding/sponsors/<slug:slug>/", views.sponsor_edit, name="onboarding-sponsor-edit"),
    path(
        "onboarding/sponsors/<slug:slug>/programs/new/",
        views.program_new,
        name="onboarding-program-new",
    ),
    path("onboarding/programs/<str:code>/team/", views.team, name="onboarding-team"),
    path(
        "onboarding/programs/<str:code>/team/<int:user_id>/<slug:role>/end/",
        views.tenure_end,
        name="onboarding-tenure-end",
    ),
    path(
        "quality-agreements/<slug:slug>/",
        views.quality_agreement,
        name="onboarding-quality-agreement",
    ),
]
