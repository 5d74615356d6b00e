"""A person's notifications: the bell, the notifications page, the preferences page, and the
one-click digest unsubscribe that a mail client may POST without a login (RFC 8058)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from comms import emails, selectors
from comms.forms import NotificationPreferencesForm
from comms.services import notifications
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from portal.models import User

PAGE = 50
INVALID_UNSUBSCRIBE_LINK = "This unsubscribe link is not valid. Sign in to change your emails."


@login_required
@vary_on_headers("HX-Request")
def notification_list(request: PortalRequest) -> HttpResponse:
    """Newest first; `?unread=1` shows only what is unread. Opening one marks it read."""
    unread = request.GET.get("unread") == "1"
    items = list(selectors.notification_list(user=request.user, unread=unread)[:PAGE])
    return render(
        request,
        "comms/notification_list.html",
        {"notifications": items, "unread_only": unread},
    )


@require_POST
@login_required
def notifications_mark_read(request: PortalRequest) -> HttpResponse:
    """Mark the chosen notifications read (`id`, repeated), or all of them (`all=1`)."""
    if request.POST.get("all") == "1":
        notifications.notifications_mark_read(user=request.user)
    else:
        ids = [int(pk) for pk in request.POST.getlist("id") if pk.isdigit() and len(pk) < 12]
        notifications.notifications_mark_read(user=request.user, ids=ids)
    target = reverse("notification-list")
    if request.POST.get("unread") == "1":
        target += "?unread=1"
    return redirect(target)


@login_required
def notification_bell(request: PortalRequest) -> HttpResponse:
    """The bell's unread count, re-fetched when the stream rings `notifications-<user id>`."""
    count = selectors.unread_notification_count(user=request.user)
    return render(request, "comms/_bell.html", {"unread_count": count})


@login_required
def notification_preferences(request: PortalRequest) -> HttpResponse:
    chosen, schedule = selectors.notification_preferences(user=request.user)
    initial = {
        "hour": schedule.hour,
        "weekday": schedule.weekday,
        "digests_enabled": schedule.enabled,
        **{f"kind_{kind}": timing for kind, timing in chosen.items()},
    }
    form = NotificationPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notifications.notification_preferences_save(
                user=request.user,
                timings=form.timings(),
                hour=form.cleaned_data["hour"],
                weekday=form.cleaned_data["weekday"],
                digests_enabled=form.cleaned_data["digests_enabled"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notification-preferences")
    status = 422 if form.errors else 200
    return render(
        request,
        "comms/notification_preferences.html",
        {"form": form, "time_zone": request.user.time_zone},
        status=status,
    )


@csrf_exempt  # a mail client POSTs it (RFC 8058); the signed token is the authority
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: PortalRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners follow GETs); POST unsubscribes at once."""
    user_id = emails.unsubscribe_user_id(token) if len(token) < 200 else None
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return render(
            request,
            "comms/digest_unsubscribe.html",
            {"error": INVALID_UNSUBSCRIBE_LINK},
            status=404,
        )
    done = False
    if request.method == "POST":
        notifications.digests_unsubscribe(user=user)
        done = True
    return render(request, "comms/digest_unsubscribe.html", {"email": user.email, "done": done})
