from django.contrib import admin
from django.urls import include, path

from portal import holiday_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("events/", views.events_outside_asgi, name="events"),
    path("accounts/", include("portal.account_urls")),
    path("", include("portal.sso.urls")),
    path("settings/tokens/", views.token_list, name="token-list"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("settings/delegations/", views.delegation_list, name="delegation-list"),
    path("settings/delegations/<int:pk>/end/", views.delegation_end, name="delegation-end"),
    path("settings/holidays/", holiday_views.holiday_list, name="holiday-list"),
    path("settings/holidays/<int:pk>/remove/", holiday_views.holiday_remove, name="holiday-remove"),
    path("", include("programs.urls")),
    path("", include("governance.urls")),
    path("", include("deviations.urls")),
    path("", include("comms.urls")),
    path("", include("integrations.urls")),
    path("", include("people.urls")),
    path("", include("onboarding.urls")),
    path("", include("outcomes.urls")),
    path("", include("outcomes.scorecard_urls")),  # before kpi_urls: kpis/targets/ is not a KPI
    path("", include("outcomes.kpi_urls")),
    path("api/v1/", include("portal.api.urls")),
    path("admin/", admin.site.urls),
]
