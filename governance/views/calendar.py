"""Calendar settings (the feed's secret address) and the feed itself."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from governance import calendar, selectors
from governance.services.feeds import calendar_feed_rotate
from portal.http import PortalRequest, attempt

_FEED_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def ics_response(body: bytes, filename: str, method: str | None = None) -> HttpResponse:
    content_type = calendar.CONTENT_TYPE + (f"; method={method}" if method else "")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def calendar_settings(request: PortalRequest) -> HttpResponse:
    if request.method == "POST":
        attempt(
            request,
            lambda: calendar_feed_rotate(user=request.user),
            success="New calendar address issued; the previous one stopped working.",
        )
        return redirect("calendar-settings")
    feed = selectors.get_calendar_feed(request.user)
    url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.secret])) if feed else None
    return render(
        request,
        "governance/calendar_settings.html",
        {"feed": feed, "feed_url": url, "webcal_url": url and re.sub(r"^https?", "webcal", url)},
    )


@require_GET
@never_cache
def calendar_feed(request: PortalRequest, secret: str) -> HttpResponse:
    """The owner's meetings for a calendar client, read through the owner's own scoped
    selector: a sponsor's feed holds only what that sponsor user may see. The secret is the
    only credential a client can send; a wrong or rotated one is a 404."""
    if not _FEED_SECRET.match(secret):
        raise Http404("No such calendar.")
    owner = selectors.feed_owner(secret)
    if owner is None:
        raise Http404("No such calendar.")
    meetings = selectors.feed_meetings(owner)
    body = calendar.feed_ics(meetings, name=f"Northbridge meetings · {owner.display_name}")
    return ics_response(body, "meetings.ics")
