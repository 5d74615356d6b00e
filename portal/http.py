"""What views share: the request type behind `login_required`, and the answer to a button."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRefresh
from django_htmx.middleware import HtmxDetails

from portal.errors import NotAllowed, ServiceError
from portal.models import User


class PortalRequest(HttpRequest):
    """A request with a signed-in user (`login_required`) and django-htmx's details."""

    user: User
    htmx: HtmxDetails


def attempt(request: HttpRequest, action: Callable[[], object], *, success: str) -> bool:
    """Run the service call behind a button. Its refusal becomes a message on the next page,
    except a refusal of permission, which stays a 403; its success, the `success` message."""
    try:
        action()
    except NotAllowed:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
        return False
    except ValidationError as exc:  # a row's own validation, from the change primitive
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True


def after_button(request: PortalRequest, to: str) -> HttpResponse:
    """An HTMX page reloads in place (its messages with it); a plain form post goes to `to`."""
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(to)
