"""WSGI entry point: Django, with static files served in front of it.

Static files are served by a WSGI wrapper rather than a middleware: servestatic's middleware is
async-only, and under WSGI Django would then run every request through an async-to-sync hop.
In production the collected, hashed files are cached for a year; in DEBUG and tests Django's
own handler serves them straight from the app folders.
"""

import os
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application
from servestatic import ServeStatic

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

_HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")


def _build() -> Callable[..., Any]:
    django_app = get_wsgi_application()
    if settings.DEBUG or settings.TESTING:
        return StaticFilesHandler(django_app)
    return ServeStatic(
        django_app,
        root=settings.STATIC_ROOT,
        prefix=settings.STATIC_URL,
        max_age=3600,
        immutable_file_test=lambda path, url: bool(_HASHED.search(url)),
    )


application = _build()
