"""allauth's socialaccount, told whom it may sign in (settings.SOCIALACCOUNT_ADAPTER).

No account is ever created by single sign-on (`is_open_for_signup` is False); every answer of a
provider goes through `services.sso_sign_in_account` before allauth signs anyone in, and every
failure of the protocol (a wrong or replayed state, a refused code exchange, a token that does
not verify) is audited and answered with the portal's own page.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import auth_events
from portal.sso import services


def refusal_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "sso/refused.html", {"message": message}, status=status)


class SingleSignOnAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        try:
            services.sso_sign_in_account(request=request, sociallogin=sociallogin)
        except services.Refused as refused:
            services.sso_refusal_record(request=request, refused=refused)
            raise ImmediateHttpResponse(
                refusal_page(request, refused.message, status=refused.status)
            ) from None

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        provider_id = getattr(getattr(provider, "app", None), "provider_id", "") or "unknown"
        detail = f"{error}" + (f" ({type(exception).__name__}: {exception})" if exception else "")
        auth_events.refuse(
            request=request,
            email="",
            why=f"single sign-on through {provider_id} failed: {detail}"[:900],
        )
        raise ImmediateHttpResponse(refusal_page(request, services.PROVIDER_FAILED, status=400))
