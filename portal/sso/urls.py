"""Single sign-on's URLs. Of allauth's socialaccount only the OpenID Connect callback is served
(under /accounts/, as allauth names it): a sign-in starts on the portal's own page, which sends
the nonce the callback checks, so allauth's own start and account-management pages are not
needed."""

from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.urls import path, re_path

from portal.sso import views

urlpatterns = [
    path("accounts/sso/", views.sso_start, name="sso-start"),
    re_path(
        r"^accounts/oidc/(?P<provider_id>[^/]+)/login/callback/$",
        oidc_views.callback,
        name="openid_connect_callback",
    ),
    path("settings/sso/", views.sso_settings, name="sso-settings"),
    path("settings/sso/<slug:slug>/", views.sso_provider, name="sso-provider"),
    path("settings/sso/<slug:slug>/remove/", views.sso_provider_remove, name="sso-provider-remove"),
]
