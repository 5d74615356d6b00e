from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import include, path

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
    # allauth.mfa: the second factor's own pages (authenticator app, security keys, recovery
    # codes), under /accounts/2fa/.
    path("2fa/", include("allauth.mfa.urls")),
    # Asks for the password again before a second factor is changed.
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
]
