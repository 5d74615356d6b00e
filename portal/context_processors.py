"""Values every page needs: the CSP nonce under the name django-htmx reads, the badge, and
whether the page may open the live stream."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal import access, holidays


def portal(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    viewer = access.viewer(user)
    return {
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "is_cdmo": viewer is not None and viewer.is_cdmo,
        "is_sponsor": viewer is not None and viewer.is_sponsor,
        "is_leadership": access.is_leadership(user),
        "can_manage_tokens": access.may_manage_tokens(user),
        "can_manage_webhooks": access.may_manage_webhooks(user),
        "can_delegate": access.may_manage_delegations(user),
        "can_keep_calendar": holidays.may_keep_calendar(user),
        # `/events/` refuses a user without a membership (the superuser): a page that opened
        # it anyway would log a console error on every load and retry forever.
        "live_stream_allowed": viewer is not None,
    }
