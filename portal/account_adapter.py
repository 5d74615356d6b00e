"""allauth's account adapter for the portal: accounts come from invitations, never from a
signup form."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class PortalAccountAdapter(DefaultAccountAdapter):
    # The portal's wording since before allauth: neither which of the two was wrong.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": (
            "Please enter a correct email and password. Note that both fields may be "
            "case-sensitive."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
