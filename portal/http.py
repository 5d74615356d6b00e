"""Typing for views: what a view behind `login_required` receives."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.models import User


class PortalRequest(HttpRequest):
    """A request with a signed-in user (`login_required`) and django-htmx's details."""

    user: User
    htmx: HtmxDetails
