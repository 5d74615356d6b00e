from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from portal import identity_views
from portal.forms import ThrottledLoginForm
from portal.views import PasswordChangeView

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=ThrottledLoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
]
