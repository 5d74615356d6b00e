"""Account lifecycle pages: password reset by email (allauth's views, audited) and the locked
accounts page of CDMO administrators (docs/accounts.md)."""

from __future__ import annotations

from typing import Any

from allauth.account.utils import url_str_to_user_pk
from allauth.account.views import (
    PasswordResetDoneView,
    PasswordResetFromKeyDoneView,
    PasswordResetFromKeyView,
    PasswordResetView,
)
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView, TemplateView

from portal import access, auth_events, throttle
from portal.models import User

# allauth's entrance pages add links to its own sign-in and sign-up pages to their context; the
# portal's templates link to the portal's sign-in page, so the pages below build their context
# without that step (FormView's and TemplateView's own).


class ResetRequestView(PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address names an
    account (ACCOUNT_PREVENT_ENUMERATION); the request is audited either way."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return FormView.get_context_data(self, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if response.status_code < 400:  # 429: allauth's rate limit refused it
            auth_events.reset_requested(request=self.request, email=form.cleaned_data["email"])
        return response


class ResetDoneView(PasswordResetDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return TemplateView.get_context_data(self, **kwargs)


class ResetFromKeyView(PasswordResetFromKeyView):
    """Follow the link and choose a new password. A used or expired link is refused with a
    page saying so, and audited."""

    def dispatch(self, request: HttpRequest, uidb36: str, key: str, **kwargs: Any) -> Any:
        response = super().dispatch(request, uidb36, key, **kwargs)
        if getattr(self, "reset_user", "") is None:  # allauth's mark of a refused link
            auth_events.reset_refused(request=request, account=_account_of(uidb36))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = FormView.get_context_data(self, **kwargs)
        context["action_url"] = self.request.path
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            auth_events.reset_completed(request=self.request, user=self.reset_user)
        throttle.clear(self.reset_user.email, "")  # a new password ends a lockout
        return response


class ResetFromKeyDoneView(PasswordResetFromKeyDoneView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return TemplateView.get_context_data(self, **kwargs)


def _account_of(uidb36: str) -> User | None:
    try:
        return User.objects.filter(pk=url_str_to_user_pk(uidb36)).first()
    except (ValueError, OverflowError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def locked_accounts(request: HttpRequest) -> HttpResponse:
    """CDMO administrators: the accounts whose sign-in is locked now, and unlocking one."""
    if not access.is_cdmo_admin(request.user):
        raise PermissionDenied
    if request.method == "POST":
        user = get_object_or_404(User, pk=_int(request.POST.get("user")))
        if not throttle.is_account_locked(user.email):
            messages.info(request, f"{user.email} was not locked (any more).")
        else:
            throttle.unlock(user=user, by=request.user, request=request)  # type: ignore[arg-type]
            messages.success(request, f"{user.email} may sign in again.")
        return redirect("identity-locked")
    return render(request, "account/locked.html", {"locked": throttle.locked_accounts()})


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0
