"""Values every page needs: the CSP nonce under the name django-htmx reads, and the badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal import policy


def portal(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "is_cdmo": policy.is_cdmo(user),
        "is_sponsor": policy.is_sponsor(user),
        "can_manage_tokens": policy.can_manage_tokens(user),
    }
