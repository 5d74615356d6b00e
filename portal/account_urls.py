from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from portal import identity_views
from portal.views import PasswordChangeView

urlpatterns = [
    # allauth's sign-in (the form is portal.forms.ThrottledAllauthLoginForm, ACCOUNT_FORMS):
    # after the password, allauth asks for the second factor of an account that has one.
    path("login/", allauth_views.login, name="login"),
    # The same page under the name allauth's own views and templates reverse.
    path("login/", allauth_views.login, name="account_login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The same, under the name allauth's templates reverse (the second-factor page).
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    path(
        "password/",
        PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Password reset by email (allauth's flow, audited: portal.identity_views).
    path(
        "password/reset/",
        identity_views.ResetRequestView.as_view(),
        name="account_reset_password",
    ),
    path(
        "password/reset/done/",
        identity_views.ResetDoneView.as_view(),
        name="account_reset_password_done",
    ),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        identity_views.ResetFromKeyView.as_view(),
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/key/done/",
        identity_views.ResetFromKeyDoneView.as_view(),
        name="account_reset_password_from_key_done",
    ),
    # CDMO administrators: accounts locked by failed sign-ins, and unlocking them.
    path("locked/", identity_views.locked_accounts, name="identity-locked"),
    # allauth.mfa: the second factor's own pages (authenticator app, security keys, recovery
    # codes), under /accounts/2fa/.
    path("2fa/", include("allauth.mfa.urls")),
    # Asks for the password again before a second factor is changed.
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
]
