"""The API's OpenAPI schema and its documentation page, for signed-in users only (session or
token): they describe every operation and record shape, which is not for anonymous visitors.
An anonymous client gets the API's 401 for the schema; a browser on the docs page is sent to
the sign-in page and back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from portal.api.authentication import TokenScope


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated, TokenScope]

    def handle_exception(self, exc: Exception) -> Any:
        """A refusal in the API's one error shape, as JSON, whatever schema format was asked."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [IsAuthenticated, TokenScope]

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
